/** What an operator pastes on a host or cluster to connect an agent with a fresh token. */
export interface AgentSnippets {
  config: string;
  systemd: string;
  kubectl: string;
}

/** Where the packaged agent reads its configuration and its token. */
const CONFIG_FILE = "/etc/monihub-agent/agent.toml";
const TOKEN_FILE = "/etc/monihub-agent/token";

/** A TOML basic string (quotes and backslashes escaped). */
function tomlString(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A POSIX shell single-quoted word. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** A Kubernetes object name derived from an application code (already a lower-case slug). */
function kubeName(code: string): string {
  return `monihub-agent-${code.replaceAll("_", "-")}`.slice(0, 63).replace(/-+$/, "");
}

/**
 * The agent's configuration file, and ready-to-run steps for systemd and Kubernetes. The agent
 * never reads its token from the configuration file itself: it comes from `token_file` or the
 * `MONIHUB_AGENT_TOKEN` variable.
 */
export function agentSnippets(
  serverUrl: string,
  token: string,
  applicationCode: string,
): AgentSnippets {
  const config = [
    `# MoniHub agent configuration (${CONFIG_FILE})`,
    `server_url = ${tomlString(serverUrl)}`,
    `token_file = ${tomlString(TOKEN_FILE)}`,
    "",
    "[tasks]",
    "# Remote task types this host runs; nothing runs unless listed.",
    "allowed = []",
    "",
  ].join("\n");

  const systemd = [
    "sudo install -d -m 0755 /etc/monihub-agent",
    `sudo tee ${CONFIG_FILE} > /dev/null <<'EOF'`,
    config.trimEnd(),
    "EOF",
    `printf '%s\\n' ${shellQuote(token)} | sudo tee ${TOKEN_FILE} > /dev/null`,
    `sudo chmod 0600 ${TOKEN_FILE}`,
    "sudo systemctl enable --now monihub-agent",
    "",
  ].join("\n");

  const name = kubeName(applicationCode);
  const kubectl = [
    `kubectl create secret generic ${name} \\`,
    `  --from-literal=MONIHUB_AGENT_SERVER_URL=${shellQuote(serverUrl)} \\`,
    `  --from-literal=MONIHUB_AGENT_TOKEN=${shellQuote(token)}`,
    "",
  ].join("\n");

  return { config, systemd, kubectl };
}
