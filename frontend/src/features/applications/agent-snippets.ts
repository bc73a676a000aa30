/** What an operator pastes on a host or cluster to connect an agent with a fresh token. */
export interface AgentSnippets {
  config: string;
  systemd: string;
  kubectl: string;
}

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

export function agentSnippets(
  serverUrl: string,
  token: string,
  applicationCode: string,
): AgentSnippets {
  const config = [
    "# MoniHub agent configuration",
    "[server]",
    `url = ${tomlString(serverUrl)}`,
    `token = ${tomlString(token)}`,
    "",
  ].join("\n");

  const systemd = [
    "sudo install -d -m 0750 /etc/monihub",
    "sudo tee /etc/monihub/agent.toml > /dev/null <<'EOF'",
    config.trimEnd(),
    "EOF",
    "sudo chmod 0600 /etc/monihub/agent.toml",
    "sudo systemctl enable --now monihub-agent",
    "",
  ].join("\n");

  const name = kubeName(applicationCode);
  const kubectl = [
    `kubectl create secret generic ${name} \\`,
    `  --from-literal=MONIHUB_SERVER_URL=${shellQuote(serverUrl)} \\`,
    `  --from-literal=MONIHUB_AGENT_TOKEN=${shellQuote(token)}`,
    "",
  ].join("\n");

  return { config, systemd, kubectl };
}
