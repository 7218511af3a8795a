// Apollo Client 4 against a live Hitflow: automatic persisted queries over HTTP
// (createPersistedQueryLink with sha256) and a subscription over graphql-ws, typed by the
// generated operation types. Prints one JSON line per step; exits 0 when all went well.
// Usage: tsx src/apq.ts '{"http": ".../graphql", "ws": "ws://.../graphql", "token": ..., "workspaceId": ...}'
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import type { TypedDocumentNode } from "@apollo/client";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { Kind, parse, print } from "graphql";
import type { DocumentNode, OperationDefinitionNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import type {
  CreateTargetMutation,
  CreateTargetMutationVariables,
  TargetResultsSubscription,
  TargetResultsSubscriptionVariables,
  ViewerQuery,
  ViewerQueryVariables,
} from "./generated/graphql.js";
import generated from "./generated/possible-types.js";

interface Args {
  http: string;
  ws: string;
  token: string;
  workspaceId: string;
  siteUrl: string;
}
const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const out = (line: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(line) + "\n");
};

// One operation of src/operations.graphql, with the fragments it needs.
const source = parse(readFileSync(new URL("./operations.graphql", import.meta.url), "utf8"));
function operation<Data, Variables>(name: string): TypedDocumentNode<Data, Variables> {
  const op = source.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name,
  );
  if (!op) throw new Error(`no operation ${name}`);
  const text = print(op);
  const fragments = source.definitions.filter(
    (d) => d.kind === Kind.FRAGMENT_DEFINITION && text.includes(`...${d.name.value}`),
  );
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [op, ...fragments] };
  return document as TypedDocumentNode<Data, Variables>;
}

// What went over HTTP: did the request carry the query text, or only its hash?
const sent: { query: boolean; hash: string | null; codes: string[] }[] = [];
const recordingFetch: typeof fetch = async (input, init) => {
  const body = JSON.parse(String(init?.body ?? "{}")) as {
    query?: string;
    extensions?: { persistedQuery?: { sha256Hash?: string } };
  };
  const response = await fetch(input, init);
  const answer = (await response.clone().json()) as { errors?: { extensions?: { code?: string } }[] };
  sent.push({
    query: typeof body.query === "string",
    hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
    codes: (answer.errors ?? []).map((e) => e.extensions?.code ?? "?"),
  });
  return response;
};

const sha256 = (query: string): string => createHash("sha256").update(query).digest("hex");
const headers = { authorization: `Bearer ${args.token}` };
const http = createPersistedQueryLink({ sha256 }).concat(
  new HttpLink({ uri: args.http, headers, fetch: recordingFetch }),
);
const wsClient = createClient({
  url: args.ws,
  webSocketImpl: WebSocket,
  connectionParams: headers,
  retryAttempts: 0,
});
const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === "subscription";
  },
  new GraphQLWsLink(wsClient),
  http,
);
// possibleTypes (generated): the cache matches fragments on the config unions' members.
const client = new ApolloClient({
  link,
  cache: new InMemoryCache({ possibleTypes: generated.possibleTypes }),
});

async function main(): Promise<void> {
  // The first run of a document: hash only, PERSISTED_QUERY_NOT_FOUND, then hash + query.
  // The second: hash only, answered.
  const VIEWER = operation<ViewerQuery, ViewerQueryVariables>("Viewer");
  const first = await client.query({ query: VIEWER, fetchPolicy: "network-only" });
  const second = await client.query({ query: VIEWER, fetchPolicy: "network-only" });
  out({ event: "apq", sent: sent.splice(0), emails: [first.data?.viewer?.user.email, second.data?.viewer?.user.email] });

  // A typed target config through a persisted mutation.
  const CREATE = operation<CreateTargetMutation, CreateTargetMutationVariables>("CreateTarget");
  const created = await client.mutate({
    mutation: CREATE,
    variables: {
      input: {
        workspaceId: args.workspaceId,
        name: "Local site",
        kind: "HTTP",
        intervalSeconds: 60,
        regions: ["eu-west"],
        typedConfig: { http: { url: args.siteUrl, keyword: "ok", expectedStatus: ["200"] } },
      },
    },
  });
  const target = created.data?.createTarget.target;
  const config = target?.typedConfig;
  out({
    event: "created",
    sent: sent.splice(0),
    errors: created.data?.createTarget.errors,
    id: target?.id,
    url: config?.__typename === "HttpConfig" ? config.url : null,
  });
  if (!target) throw new Error("no target");

  // A subscription over graphql-ws, with the @oneOf scope.
  const RESULTS = operation<TargetResultsSubscription, TargetResultsSubscriptionVariables>(
    "TargetResults",
  );
  await new Promise<void>((resolve, reject) => {
    const subscription = client.subscribe({ query: RESULTS, variables: { targetId: target.id } }).subscribe({
      next: (result) => {
        out({ event: "result", result: result.data?.checkResults ?? null, error: result.error?.message ?? null });
        subscription.unsubscribe();
        resolve();
      },
      error: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
    });
    out({ event: "subscribing" });
  });
}

const timeout = setTimeout(() => {
  out({ event: "timeout" });
  process.exit(2);
}, 30_000);
main()
  .then(async () => {
    clearTimeout(timeout);
    await wsClient.dispose();
    process.exit(0);
  })
  .catch((error: unknown) => {
    out({ event: "failed", error: String(error) });
    process.exit(1);
  });
