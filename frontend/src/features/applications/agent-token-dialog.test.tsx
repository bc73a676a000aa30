import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import "@/test/i18n";
import { agentSnippets } from "./agent-snippets";
import { AgentTokenDialog } from "./agent-token-dialog";

const issued = { token: "mhat_secret123", prefix: "mhat_sec", issued_at: "2026-12-03T10:00:00Z" };

describe("the agent token dialog", () => {
  it("shows the token once with a ready-to-paste configuration", async () => {
    const onClose = vi.fn();
    render(<AgentTokenDialog issued={issued} applicationCode="web_shop" onClose={onClose} />);
    const dialog = screen.getByRole("dialog", { name: "Agent token" });
    expect(within(dialog).getByLabelText("Token")).toHaveValue("mhat_secret123");
    expect(within(dialog).getByText(/shown only this once/)).toBeInTheDocument();
    expect(within(dialog).getByText(/server_url = "http:\/\/localhost:3000"/)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("tab", { name: "systemd" }));
    expect(within(dialog).getByText(/printf '%s\\n' 'mhat_secret123'/)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("tab", { name: "kubectl" }));
    expect(
      within(dialog).getByText(/kubectl create secret generic monihub-agent-web-shop/),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "I have saved it" }));
    expect(onClose).toHaveBeenCalled();
  });

  it("renders nothing without a token", () => {
    render(<AgentTokenDialog issued={null} applicationCode="web" onClose={vi.fn()} />);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});

describe("agent snippets", () => {
  it("follow the packaged agent's files and quote for TOML and the shell", () => {
    const s = agentSnippets("https://hub.example.com", "mhat_a'b\"c", "api");
    expect(s.config).toContain('server_url = "https://hub.example.com"');
    expect(s.config).toContain('token_file = "/etc/monihub-agent/token"');
    // The token never goes into the configuration file, only into the token file or a Secret.
    expect(s.config).not.toContain("mhat_");
    expect(s.systemd).toContain(
      `printf '%s\\n' 'mhat_a'"'"'b"c' | sudo tee /etc/monihub-agent/token`,
    );
    expect(s.kubectl).toContain(`MONIHUB_AGENT_TOKEN='mhat_a'"'"'b"c'`);
    expect(s.kubectl).toContain("MONIHUB_AGENT_SERVER_URL='https://hub.example.com'");
    expect(s.systemd).toContain("sudo systemctl enable --now monihub-agent");
  });
});
