import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { account, fakeBackend } from "../../test/backend";

async function openDetail(): Promise<void> {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("account-open"));
  await screen.findByTestId("account-detail");
}

describe("an account's earlier values", () => {
  it("lists the values a sync merge replaced, with the device that set them", async () => {
    fakeBackend({
      accounts: [account("a", "GitHub", "alice")],
      history: {
        a: [
          { field: "name", value: "alice@work", at: 1_700_000_000_000, device: "laptop" },
          { field: "otp", value: "(secret)", at: 1_700_000_100_000, device: "desk" },
        ],
      },
    });
    await openDetail();
    const entries = await screen.findAllByTestId("detail-history-entry");
    expect(entries).toHaveLength(2);
    expect(entries[0]).toHaveTextContent("Account name");
    expect(entries[0]).toHaveTextContent("alice@work");
    expect(entries[0]).toHaveTextContent("on laptop");
    expect(entries[1]).toHaveTextContent("Secret and code settings");
    expect(entries[1]).not.toHaveTextContent(/[A-Z2-7]{16}/);
  });

  it("shows no history section for an account no merge changed", async () => {
    fakeBackend({ accounts: [account("a", "GitHub", "alice")] });
    await openDetail();
    expect(screen.queryByTestId("detail-history")).not.toBeInTheDocument();
  });
});
