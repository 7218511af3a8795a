// Compiled with `tsc --noEmit` (strict, noImplicitAny): every target and channel kind's
// settings are typed by the types generated from schema.graphql, in and out. The
// expected-error lines below fail the build if a config type ever degrades to `any`
// (an `any` accepts everything, so the expected error would not happen).
import type {
  ChannelConfigInput,
  CreateTargetMutationVariables,
  TargetConfigInput,
  WorkspaceSettingsQuery,
} from "./generated/graphql.js";

export const targetConfigs: TargetConfigInput[] = [
  {
    http: {
      url: "https://shop.example.test/health",
      method: "POST",
      headers: [{ name: "Authorization", value: "Bearer s3cr3t" }],
      secretHeaders: ["Authorization"],
      body: '{"ping":true}',
      expectedStatus: ["200-299"],
      keyword: "ok",
      jsonPath: "$.status",
      jsonValue: "green",
      basicAuth: { username: "monitor", password: "pw" },
      degradedAboveMs: 800,
    },
  },
  { tcp: { host: "db.example.test", port: 5432 } },
  { dns: { name: "example.test", recordType: "MX", expected: ["mail.example.test"] } },
  { tls: { host: "example.test", degradedWithinDays: 21, downWithinDays: 3 } },
  { icmp: { host: "192.0.2.10", packets: 5, maxLossPercent: 20 } },
  { heartbeat: { graceSeconds: 300 } },
];

export const channelConfigs: ChannelConfigInput[] = [
  { email: { address: "ops@example.test" } },
  { webhook: { url: "https://hooks.example.test/hitflow", secret: "whsec_0123456789abcdef" } },
  { slack: { webhookUrl: "https://hooks.slack.com/services/T0/B0/x" } },
  { discord: { webhookUrl: "https://discord.com/api/webhooks/1/x" } },
  { teams: { webhookUrl: "https://example.webhook.office.com/x" } },
  { telegram: { botToken: "123:abc", chatId: "@ops" } },
  { pagerduty: { routingKey: "0123456789abcdef0123456789abcdef" } },
  { opsgenie: { apiKey: "00000000-0000-0000-0000-000000000000" } },
  { sms: { accountSid: "AC" + "0".repeat(32), from: "+15550100", to: "+15550101" } },
  { ntfy: { topicUrl: "https://ntfy.sh/hitflow-ops" } },
  { pushover: { appToken: "a".repeat(30), userKey: "u".repeat(30) } },
];

export const create: CreateTargetMutationVariables = {
  input: {
    workspaceId: "V29ya3NwYWNlOjE=",
    name: "Shop",
    kind: "HTTP",
    typedConfig: { http: { url: "https://shop.example.test/" } },
  },
};

// @ts-expect-error a port is a number
export const badPort: TargetConfigInput = { tcp: { host: "db", port: "5432" } };
// @ts-expect-error @oneOf: one kind at a time
export const twoKinds: TargetConfigInput = { tcp: { host: "db", port: 1 }, icmp: { host: "db" } };
// @ts-expect-error an unknown record type
export const badRecord: TargetConfigInput = { dns: { name: "example.test", recordType: "XYZ" } };
// @ts-expect-error an e-mail channel needs an address
export const noAddress: ChannelConfigInput = { email: {} };
// @ts-expect-error no such key on a webhook
export const typo: ChannelConfigInput = { webhook: { uri: "https://x.example.test" } };

type Workspace = NonNullable<WorkspaceSettingsQuery["viewer"]>["workspaces"][number];
type TargetConfig = Workspace["targets"]["edges"][number]["node"]["typedConfig"];
type ChannelConfig = Workspace["alertChannels"][number]["typedConfig"];

function never(value: never): never {
  throw new Error(`unhandled kind ${JSON.stringify(value)}`);
}

// Exhaustive over the output unions: a new kind in the schema fails this build.
export function describeTarget(config: TargetConfig): string {
  switch (config.__typename) {
    case "HttpConfig":
      return `${config.method} ${config.url}${config.keyword ? ` expecting "${config.keyword}"` : ""}`;
    case "TcpConfig":
      return `tcp ${config.host}:${config.port.toFixed(0)}`;
    case "DnsConfig":
      return `${config.recordType} ${config.name}`;
    case "TlsConfig":
      return `certificate of ${config.host}:${config.port}, degraded within ${config.degradedWithinDays} days`;
    case "IcmpConfig":
      return `ping ${config.host} x${config.packets}`;
    case "HeartbeatConfig":
      return `heartbeat, grace ${config.graceSeconds} s`;
    default:
      return never(config);
  }
}

export function describeChannel(config: ChannelConfig): string {
  switch (config.__typename) {
    case "EmailChannelConfig":
      return `mail to ${config.address ?? "?"}`;
    case "WebhookChannelConfig":
      return `POST ${config.url ?? "?"}`;
    case "SlackChannelConfig":
    case "DiscordChannelConfig":
    case "TeamsChannelConfig":
      return `chat webhook ${config.webhookUrl ?? "?"}`;
    case "TelegramChannelConfig":
      return `telegram ${config.chatId ?? "?"}`;
    case "PagerDutyChannelConfig":
      return `pagerduty ${config.routingKey ?? "?"}`;
    case "OpsgenieChannelConfig":
      return `opsgenie ${config.apiKey ?? "?"}`;
    case "SmsChannelConfig":
      return `sms ${config.from ?? "?"} -> ${config.to ?? "?"}`;
    case "NtfyChannelConfig":
      return `ntfy ${config.topicUrl ?? "?"}`;
    case "PushoverChannelConfig":
      return `pushover ${config.userKey ?? "?"}`;
    default:
      return never(config);
  }
}
