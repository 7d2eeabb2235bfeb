import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { locateTable, TableNotFound } from '../../../bin/support/table-locator';
import { UsageError } from '../../../bin/support/options';

describe('locateTable', () => {
  const cfn = mockClient(CloudFormationClient);
  const client = () => new CloudFormationClient({ region: 'us-east-1' });
  afterEach(() => cfn.reset());
  afterAll(() => cfn.restore());

  it('reads the TableName output of the stack (MonitorStack unless --stack names another)', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'MonitorStack',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [
            { OutputKey: 'QueueArn', OutputValue: 'arn:aws:sqs:us-east-1:222222222222:CRRMonitorQueue' },
            { OutputKey: 'TableName', OutputValue: 'MonitorStack-StoreTable1234-ABCD' },
          ],
        },
      ],
    });
    expect(await locateTable({}, client)).toBe('MonitorStack-StoreTable1234-ABCD');
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'MonitorStack' });
    await locateTable({ stack: 'Other' }, client);
    expect(cfn.commandCalls(DescribeStacksCommand)[1].args[0].input).toEqual({ StackName: 'Other' });
  });

  it('takes --table as given without a call, and refuses both', async () => {
    expect(await locateTable({ table: 't1' }, client)).toBe('t1');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    await expect(locateTable({ table: 't1', stack: 's' }, client)).rejects.toThrow(UsageError);
  });

  it('says so when the stack is missing or has no table output', async () => {
    cfn.on(DescribeStacksCommand).rejectsOnce(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id MonitorStack does not exist',
      }),
    );
    await expect(locateTable({}, client)).rejects.toThrow(
      new TableNotFound('stack MonitorStack does not exist in this account and region (--region?)'),
    );
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'MonitorStack', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0), Outputs: [] }] });
    await expect(locateTable({}, client)).rejects.toThrow(/has no TableName output: pass --table NAME/);
  });
});
