import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: entries and the lock file are resolved from here, whatever the cwd. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * How every entry is bundled: one minified ESM file by the local esbuild, the SDK inside (the
 * versions the tests ran against; the runtime's copy changes under us), and a require shim
 * because CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
 */
export const BUNDLING = {
  minify: true,
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
} as const;

export type SweepFunctionProps = Omit<NodejsFunctionProps, 'runtime' | 'architecture' | 'bundling'> & {
  /** Path of the entry file, relative to the repository root. */
  entry: string;
  /** Name of the entry's exported handler. */
  handler: string;
};

/**
 * A NodejsFunction with the defaults every function of this project shares, so props are
 * not pasted twice: newest Node runtime on arm64 (cheaper per GB-s), one minified ESM
 * bundle built by the local esbuild (no Docker), JSON logs.
 */
export class SweepFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SweepFunctionProps) {
    super(scope, id, {
      tracing: Tracing.DISABLED,
      loggingFormat: LoggingFormat.JSON,
      ...props,
      entry: join(PROJECT_ROOT, props.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      environment: {
        // Stack traces of the minified bundle point at the TypeScript sources.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        ...BUNDLING,
        mainFields: [...BUNDLING.mainFields],
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
  }
}

/** A function's role may write its own log group and no other (no logs:* on *, as Lambda's managed policy has). */
export function allowWritingOwnLogs(role: Role, logGroup: LogGroup): void {
  role.addToPolicy(
    new PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}
