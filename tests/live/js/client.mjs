// Subscribe with the graphql-ws client (graphql-transport-ws protocol) and print one
// JSON line per event: {"event": "connected"}, {"event": "next", "data": ...},
// {"event": "error", "error": ...}. Exits after `count` results.
// Usage: node client.mjs '{"url": ..., "token": ..., "query": ..., "variables": {...}, "count": N}'
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const { url, token, query, variables = {}, count = 1 } = JSON.parse(process.argv[2]);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
  on: { connected: () => print({ event: "connected" }) },
});

let received = 0;
const finish = (code) => client.dispose().finally(() => process.exit(code));
client.subscribe(
  { query, variables },
  {
    next: (result) => {
      print({ event: "next", ...result });
      received += 1;
      if (received >= count) finish(0);
    },
    error: (error) => {
      const detail = Array.isArray(error) ? error : { message: String(error?.reason ?? error), code: error?.code };
      print({ event: "error", error: detail });
      finish(1);
    },
    complete: () => finish(received >= count ? 0 : 1),
  },
);
setTimeout(() => { print({ event: "timeout" }); finish(2); }, 20000);
