import { zodResolver } from "@hookform/resolvers/zod";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FormProvider, useForm, type Resolver } from "react-hook-form";
import { describe, expect, it, vi } from "vitest";
import type { TaskType } from "@/api/types";
import "@/test/i18n";
import { TaskContentFields } from "./task-content-fields";
import {
  defaultTaskValues,
  taskFormSchema,
  toCreateTask,
  type TaskFormValues,
} from "./task-schemas";

function Harness({ type, onSubmit }: { type: TaskType; onSubmit: (v: TaskFormValues) => void }) {
  const form = useForm<TaskFormValues>({
    resolver: zodResolver(taskFormSchema) as unknown as Resolver<TaskFormValues>,
    defaultValues: { ...defaultTaskValues(type, ["i-1"]), name: "check" },
  });
  return (
    <FormProvider {...form}>
      <form noValidate onSubmit={form.handleSubmit(onSubmit)}>
        <TaskContentFields type={type} />
        <button type="submit">Submit</button>
      </form>
    </FormProvider>
  );
}

describe("task content fields", () => {
  it("show a shell task's errors next to the fields and submit once fixed", async () => {
    const onSubmit = vi.fn();
    render(<Harness type="shell_exec" onSubmit={onSubmit} />);
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    const script = screen.getByLabelText(/Script/);
    expect(script).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Required")).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();

    await userEvent.type(script, "uptime");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "LANG");
    await userEvent.type(screen.getByRole("textbox", { name: "Value" }), "C");
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    const values = onSubmit.mock.calls[0]?.[0] as TaskFormValues;
    expect(toCreateTask(values)).toMatchObject({
      content: { script: "uptime", env: { LANG: "C" } },
    });
  });

  it("ask for the source URL of a download", async () => {
    const onSubmit = vi.fn();
    render(<Harness type="file_manager" onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText(/Path/), "/srv/app.tar.gz");
    await userEvent.click(screen.getByRole("combobox", { name: /Operation/ }));
    await userEvent.click(await screen.findByRole("option", { name: "Download to the host" }));
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(await screen.findByText("A download needs the URL to fetch")).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
