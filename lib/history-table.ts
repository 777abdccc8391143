import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { type KeyAttribute, TABLE_SCHEMA, type TableSchema } from '../functions/contract/table-schema.ts';

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};
const PROJECTIONS = { ALL: ProjectionType.ALL, KEYS_ONLY: ProjectionType.KEYS_ONLY } as const;
const BILLING = { PAY_PER_REQUEST: BillingMode.PAY_PER_REQUEST } as const;

const attribute = (a: KeyAttribute) => ({ name: a.name, type: ATTRIBUTE_TYPES[a.type] });

/**
 * The balance history table, built from the one shared schema (the local bootstrap reads the
 * same one). It holds the only copy of the history, so it survives the stack: RETAIN,
 * point-in-time recovery, and encryption at rest with the AWS managed key.
 */
export class HistoryTable extends Construct {
  readonly table: Table;
  /** ARNs of the global indexes, for IAM statements that must not say `index/*`. */
  readonly indexArns: string[];

  constructor(scope: Construct, id: string, schema: TableSchema = TABLE_SCHEMA) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: attribute(schema.partitionKey),
      sortKey: attribute(schema.sortKey),
      billingMode: BILLING[schema.billingMode],
      timeToLiveAttribute: schema.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of schema.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: PROJECTIONS[index.projection],
      });
    }
    this.indexArns = schema.globalIndexes.map((index) => `${this.table.tableArn}/index/${index.name}`);
  }
}
