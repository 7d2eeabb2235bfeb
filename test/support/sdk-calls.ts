/**
 * Which AWS SDK commands a Lambda handler's code can send, found from the code itself so that the permission test
 * (test/lib/permissions.test.ts) follows every change without anyone keeping a list.
 *
 * 1. esbuild bundles the entry (node_modules left external) and its metafile names every source file the bundle
 *    holds — exactly what CDK's NodejsFunction ships.
 * 2. The TypeScript checker walks what is reachable from the module top levels and the exported `handler`: a
 *    function or method counts once something reachable names it. A call through an interface or type member
 *    (`deps.store.apply`) reaches every method of that name in the bundle, so dependency injection is followed;
 *    nested functions of reachable code count as reachable. The analysis over-approximates (it never misses a call
 *    that can happen) but, unlike a plain file scan, does not charge the drain for the sweep's Query just because
 *    both use the same table adapter.
 * 3. A command is `new XxxCommand(...)` of a class imported from an `@aws-sdk/*` package (named or namespace import),
 *    or a `paginateXxx(...)` helper (it sends XxxCommand). Aggregated clients (`new S3().headObject()`,
 *    `DynamoDBDocument`) hide their commands, so importing one is reported instead of guessed.
 */
import * as path from 'path';
import { buildSync } from 'esbuild';
import * as ts from 'typescript';

export interface SdkCall {
  /** The package, e.g. `@aws-sdk/client-s3`. */
  readonly pkg: string;
  /** The command class, e.g. `HeadObjectCommand`. */
  readonly command: string;
  /** Where, relative to the root: `lambda/adapters/s3.ts:74`. */
  readonly at: string;
}

export interface HandlerAnalysis {
  /** Source files in the bundle, relative to the root, sorted. */
  readonly files: string[];
  /** Every command site in the bundled files. */
  readonly bundled: SdkCall[];
  /** The command sites reachable from the handler. */
  readonly reachable: SdkCall[];
  /** Imports of aggregated SDK clients, whose method calls cannot be mapped to commands: `file: Name from pkg`. */
  readonly aggregatedClients: string[];
}

const isFunctionLike = (n: ts.Node): n is ts.FunctionLikeDeclaration =>
  ts.isFunctionDeclaration(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isConstructorDeclaration(n) ||
  ts.isGetAccessorDeclaration(n) ||
  ts.isSetAccessorDeclaration(n) ||
  ts.isArrowFunction(n) ||
  ts.isFunctionExpression(n);

/** Source files bundled from `entry` (relative to `root`), as esbuild resolves them. */
function bundledSourceFiles(entry: string, root: string): string[] {
  const result = buildSync({
    entryPoints: [path.join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: path.join(root, 'cdk.out', 'sdk-calls-probe.js'),
  });
  return Object.keys(result.metafile!.inputs)
    .filter((f) => !f.includes('node_modules') && /\.[cm]?tsx?$|\.[cm]?js$/.test(f))
    .map((f) => path.relative(root, path.resolve(root, f)))
    .sort();
}

/** Is `pkg`'s export `name` an aggregated client (the package also exports `${name}Client`)? */
function isAggregatedClient(pkg: string, name: string): boolean {
  if (name.endsWith('Client') || name.endsWith('Command') || /^[a-z]/.test(name)) return false;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(pkg) as Record<string, unknown>;
    return typeof mod[name] === 'function' && typeof mod[`${name}Client`] === 'function';
  } catch {
    return false;
  }
}

/** Analyze several handler entries over one TypeScript program (the type checker is the slow part). */
export function analyzeHandlers(entries: readonly string[], root: string): Map<string, HandlerAnalysis> {
  const filesOf = new Map(entries.map((e) => [e, bundledSourceFiles(e, root)]));
  const all = [...new Set([...filesOf.values()].flat())].map((f) => path.join(root, f));
  const program = ts.createProgram(all, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  return new Map(entries.map((e) => [e, analyzeEntry(program, e, filesOf.get(e)!, root)]));
}

export const analyzeHandler = (entry: string, root: string): HandlerAnalysis => analyzeHandlers([entry], root).get(entry)!;

function analyzeEntry(program: ts.Program, entry: string, files: string[], root: string): HandlerAnalysis {
  const absolute = new Set(files.map((f) => path.join(root, f)));
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter((sf) => absolute.has(path.resolve(sf.fileName)));
  const inBundle = (node: ts.Node) => absolute.has(path.resolve(node.getSourceFile().fileName));
  const where = (node: ts.Node) => {
    const sf = node.getSourceFile();
    return `${path.relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };

  // Per file: local name → imported SDK export, and namespace name → SDK package.
  const named = new Map<ts.SourceFile, Map<string, { pkg: string; name: string }>>();
  const namespaces = new Map<ts.SourceFile, Map<string, string>>();
  const aggregatedClients: string[] = [];
  for (const sf of sources) {
    const n = new Map<string, { pkg: string; name: string }>();
    const ns = new Map<string, string>();
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const pkg = st.moduleSpecifier.text;
      if (!pkg.startsWith('@aws-sdk/') || st.importClause?.isTypeOnly) continue;
      const bindings = st.importClause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) ns.set(bindings.name.text, pkg);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          if (el.isTypeOnly) continue;
          const name = (el.propertyName ?? el.name).text;
          n.set(el.name.text, { pkg, name });
          if (isAggregatedClient(pkg, name)) aggregatedClients.push(`${path.relative(root, sf.fileName)}: ${name} from ${pkg}`);
        }
      }
    }
    named.set(sf, n);
    namespaces.set(sf, ns);
  }

  /** The SDK command a `new X(...)` / `paginateX(...)` expression stands for, if any. */
  const commandOf = (node: ts.Node): { pkg: string; command: string } | undefined => {
    const sf = node.getSourceFile();
    let callee: ts.Expression | undefined;
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) callee = node.expression;
    if (!callee) return undefined;
    let imported: { pkg: string; name: string } | undefined;
    if (ts.isIdentifier(callee)) imported = named.get(sf)?.get(callee.text);
    else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const pkg = namespaces.get(sf)?.get(callee.expression.text);
      if (pkg) imported = { pkg, name: callee.name.text };
    }
    if (!imported) return undefined;
    if (ts.isNewExpression(node) && imported.name.endsWith('Command')) return { pkg: imported.pkg, command: imported.name };
    const paginated = /^paginate([A-Z]\w*)$/.exec(imported.name);
    if (ts.isCallExpression(node) && paginated) return { pkg: imported.pkg, command: `${paginated[1]}Command` };
    return undefined;
  };

  const bundled: SdkCall[] = [];
  for (const sf of sources) {
    const scan = (node: ts.Node): void => {
      const c = commandOf(node);
      if (c) bundled.push({ ...c, at: where(node) });
      ts.forEachChild(node, scan);
    };
    scan(sf);
  }

  // Members by name, with the class or object literal that holds them, for calls through interfaces and type literals.
  const membersByName = new Map<string, Array<{ node: ts.Node; container: ts.Node }>>();
  const addMember = (name: string, node: ts.Node, container: ts.Node) =>
    membersByName.set(name, [...(membersByName.get(name) ?? []), { node, container }]);
  for (const sf of sources) {
    const collect = (node: ts.Node): void => {
      const container = node.parent;
      if ((ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) && node.name) {
        addMember(node.name.getText(), node, container);
      } else if (
        (ts.isPropertyDeclaration(node) || ts.isPropertyAssignment(node)) &&
        node.initializer &&
        isFunctionLike(node.initializer)
      ) {
        addMember(node.name.getText(), node.initializer, container);
      }
      ts.forEachChild(node, collect);
    };
    collect(sf);
  }
  /** The type a class (its instances), interface or type literal stands for. */
  const typeOf = (node: ts.Node): ts.Type | undefined => {
    if ((ts.isClassLike(node) || ts.isInterfaceDeclaration(node)) && node.name) {
      const symbol = checker.getSymbolAtLocation(node.name);
      return symbol && checker.getDeclaredTypeOfSymbol(symbol);
    }
    return checker.getTypeAtLocation(node);
  };
  /**
   * The implementations a call through the member `name` of `owner` (an interface or type literal) may run: members
   * of that name whose class or object literal is assignable to `owner` (without an owner: every one of that name).
   */
  const implementationsOf = (name: string, owner?: ts.Node): ts.Node[] => {
    const target = owner && typeOf(owner);
    return (membersByName.get(name) ?? [])
      .filter(({ container }) => {
        const source = typeOf(container);
        return !target || !source || checker.isTypeAssignableTo(source, target);
      })
      .map(({ node }) => node);
  };

  const reachable: SdkCall[] = [];
  const queued = new Set<ts.Node>();
  const work: Array<{ node: ts.Node; topLevel: boolean }> = [];
  const enqueue = (node: ts.Node, topLevel = false) => {
    if (queued.has(node) || !inBundle(node)) return;
    queued.add(node);
    work.push({ node, topLevel });
  };

  const reachDeclaration = (decl: ts.Declaration, name: string): void => {
    if (isFunctionLike(decl)) return enqueue(decl);
    if (ts.isClassDeclaration(decl) || ts.isClassExpression(decl)) {
      // Constructing a class runs its constructor, field initializers and base class.
      for (const m of decl.members) if (ts.isConstructorDeclaration(m) || (ts.isPropertyDeclaration(m) && m.initializer)) enqueue(m);
      for (const h of decl.heritageClauses ?? []) enqueue(h);
      return;
    }
    if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertyAssignment(decl)) && decl.initializer) {
      return enqueue(decl.initializer);
    }
    if (ts.isShorthandPropertyAssignment(decl)) {
      const value = checker.getShorthandAssignmentValueSymbol(decl);
      for (const d of value?.declarations ?? []) reachDeclaration(d, name);
      return;
    }
    if (ts.isMethodSignature(decl) || ts.isPropertySignature(decl)) {
      for (const m of implementationsOf(name, decl.parent)) enqueue(m);
    }
  };

  const reachIdentifier = (id: ts.Identifier): void => {
    // Naming a declaration (a parameter, a member of a type, a property key) does not reach anything; references do.
    const parent = id.parent as ts.Node & { name?: ts.Node };
    const declares =
      ts.isParameter(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent);
    if (declares && parent.name === id) return;
    let symbol = checker.getSymbolAtLocation(id);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const declarations = symbol?.declarations ?? [];
    // A member of a mapped or synthesized type (`Pick<I, 'm'>`) may have no declaration: dispatch by name.
    if (declarations.length === 0 && ts.isPropertyAccessExpression(id.parent) && id.parent.name === id) {
      for (const m of implementationsOf(id.text)) enqueue(m);
    }
    for (const d of declarations) reachDeclaration(d, id.text);
  };

  const visit = (node: ts.Node, topLevel: boolean): void => {
    const c = commandOf(node);
    if (c) reachable.push({ ...c, at: where(node) });
    if (ts.isIdentifier(node)) reachIdentifier(node);
    ts.forEachChild(node, (child) => {
      // Declarations run only when something reachable names them; nested function expressions count with their
      // enclosing code, except module-level ones, which run only when called.
      if (
        ts.isFunctionDeclaration(child) ||
        ts.isClassDeclaration(child) ||
        ts.isInterfaceDeclaration(child) ||
        ts.isTypeAliasDeclaration(child)
      ) {
        return;
      }
      if (topLevel && ts.isVariableDeclaration(child) && child.initializer && isFunctionLike(child.initializer)) return;
      visit(child, topLevel && !isFunctionLike(child));
    });
  };

  for (const sf of sources) enqueue(sf, true);
  const entrySource = sources.find((sf) => path.relative(root, sf.fileName) === entry);
  const entrySymbol = entrySource && checker.getSymbolAtLocation(entrySource);
  const exported = entrySymbol && checker.getExportsOfModule(entrySymbol).find((s) => s.name === 'handler');
  if (!exported) throw new Error(`${entry}: no exported 'handler'`);
  reachIdentifierSymbol(exported);

  function reachIdentifierSymbol(symbol: ts.Symbol) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    for (const d of target.declarations ?? []) reachDeclaration(d, target.name);
  }

  while (work.length > 0) {
    const { node, topLevel } = work.pop()!;
    if (ts.isSourceFile(node)) {
      for (const st of node.statements) {
        if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st))
          continue;
        visit(st, topLevel);
      }
    } else {
      visit(node, false);
    }
  }

  const byPlace = (a: SdkCall, b: SdkCall) => a.at.localeCompare(b.at, 'en', { numeric: true }) || a.command.localeCompare(b.command);
  const unique = (calls: SdkCall[]) => [...new Map(calls.map((c) => [`${c.at} ${c.pkg} ${c.command}`, c])).values()].sort(byPlace);
  return { files, bundled: unique(bundled), reachable: unique(reachable), aggregatedClients };
}
