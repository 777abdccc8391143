/** An in-memory DynamoDB (dynalite) in its own process, so it does not weigh on the sweep measured. */
import { startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';

const store = await startEmbeddedDynamo({ dataDir: null });
process.stdout.write(`${JSON.stringify({ endpoint: store.endpoint })}\n`);
const stop = () => void store.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
