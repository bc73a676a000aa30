import { AlertTriangleIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import type { IssuedAgentToken } from "@/api/types";
import { CodeBlock } from "@/components/code-block";
import { CopyButton } from "@/components/copy-button";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { agentSnippets } from "./agent-snippets";

/**
 * Shows a freshly issued agent token once, with ready-to-paste agent settings. Closing the
 * dialog forgets the token: the server keeps only its hash.
 */
export function AgentTokenDialog({
  issued,
  applicationCode,
  onClose,
}: {
  issued: IssuedAgentToken | null;
  applicationCode: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const snippets = issued
    ? agentSnippets(globalThis.location.origin, issued.token, applicationCode)
    : null;
  return (
    <Dialog
      open={issued !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
    >
      <DialogContent
        className="max-w-2xl"
        // Only the explicit buttons close it: a stray click outside must not lose the token.
        onInteractOutside={(event) => event.preventDefault()}
      >
        <DialogHeader>
          <DialogTitle>{t("agentToken.title")}</DialogTitle>
          <DialogDescription>{t("agentToken.description")}</DialogDescription>
        </DialogHeader>
        {issued && snippets ? (
          <div className="grid gap-4">
            <p className="flex gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm">
              <AlertTriangleIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
              {t("agentToken.onceWarning")}
            </p>
            <div className="grid gap-1.5">
              <Label htmlFor="agent-token">{t("agentToken.token")}</Label>
              <div className="flex gap-2">
                <Input
                  id="agent-token"
                  readOnly
                  value={issued.token}
                  className="font-mono text-xs"
                  data-testid="agent-token"
                  onFocus={(e) => e.currentTarget.select()}
                />
                <CopyButton value={issued.token} />
              </div>
            </div>
            <Tabs defaultValue="config">
              <TabsList>
                <TabsTrigger value="config">{t("agentToken.config")}</TabsTrigger>
                <TabsTrigger value="systemd">systemd</TabsTrigger>
                <TabsTrigger value="kubectl">kubectl</TabsTrigger>
              </TabsList>
              {(["config", "systemd", "kubectl"] as const).map((kind) => (
                <TabsContent key={kind} value={kind} className="grid gap-2">
                  <p className="text-sm text-muted-foreground">{t(`agentToken.${kind}Hint`)}</p>
                  <CodeBlock label={t(`agentToken.${kind}Hint`)}>{snippets[kind]}</CodeBlock>
                  <div>
                    <CopyButton value={snippets[kind]} />
                  </div>
                </TabsContent>
              ))}
            </Tabs>
          </div>
        ) : null}
        <DialogFooter>
          <Button onClick={onClose}>{t("agentToken.done")}</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
