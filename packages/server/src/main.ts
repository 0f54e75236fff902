import { serverOptionsFromEnv } from './ServerOptions.js';
import { startServer, type ConferenceServer } from './startServer.js';

// `npm run server`: HOST and PORT (default 127.0.0.1:8080) and the CONFER_* variables of server/README.md.
let server: ConferenceServer;
try {
  server = await startServer({ port: 8080, logLevel: 'info', ...serverOptionsFromEnv(process.env) });
} catch (error) {
  console.error(`Confer reference server did not start: ${(error as Error).message}`);
  process.exit(1);
}
console.log(`Confer reference server listening on ${server.url}`);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  // SIGTERM (an orchestrator's stop) drains: no new conferences, the waiting polls answer first.
  (signal === 'SIGTERM' ? server.drain() : server.close()).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
