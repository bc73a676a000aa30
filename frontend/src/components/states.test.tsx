import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/errors";
import "@/test/i18n";
import { ErrorState } from "./states";

describe("the error state", () => {
  it("shows the server's detail and request id, and retries", async () => {
    const onRetry = vi.fn();
    const error = new ApiError(409, {
      type: "about:blank",
      title: "Conflict",
      status: 409,
      detail: "project 'web' still has 2 applications",
      request_id: "abc-123",
    });
    render(<ErrorState error={error} onRetry={onRetry} />);
    expect(screen.getByRole("alert")).toHaveTextContent("project 'web' still has 2 applications");
    expect(screen.getByText("abc-123")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(onRetry).toHaveBeenCalled();
  });
});
