import { describe, expect, it } from "vitest";
import type { ExportResult } from "../../ipc/bindings";
import { ExportFlow, exportBlocker, exportSummary, FormatCatalog, ImportFlow, sourceFromFile } from "./transfer.svelte";
import { fakeBackend, FORMATS } from "../../test/backend";

const [tessera, aegisEncrypted, otpauth] = FORMATS.export;

function file(name: string, text = "{}"): File {
  return new File([text], name, { type: "application/json" });
}

describe("FormatCatalog", () => {
  it("loads the formats Rust offers", async () => {
    fakeBackend();
    const catalog = new FormatCatalog();
    await catalog.load();
    expect(catalog.formats).toEqual(FORMATS);
    expect(catalog.failure).toBeUndefined();
  });
});

describe("sourceFromFile", () => {
  it("hands Rust the file's bytes and name", async () => {
    const source = await sourceFromFile(new File([new Uint8Array([0, 1, 254, 255])], "x.bin"));
    expect(source).toEqual({ kind: "bytes", name: "x.bin", bytes: [0, 1, 254, 255] });
  });
});

describe("ImportFlow", () => {
  it("previews a dropped plain file at once", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("export.txt", "otpauth://totp/x?secret=AAAA"));
    expect(flow.step).toBe("preview");
    expect(flow.preview?.counts).toEqual({ new: 2, duplicate: 0, repeated: 1, invalid: 1 });
    const call = fake.calls.find((c) => c.cmd === "preview_import");
    expect(call?.args.source).toMatchObject({ kind: "bytes", name: "export.txt" });
    expect(call?.args.password).toBeNull();
    expect(call?.args.format).toBeNull();
  });

  it("asks for the password of an encrypted file, says when it is wrong, and opens it with the right one", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("aegis_encrypted.json"));
    expect(flow.step).toBe("password");
    expect(flow.problem).toBe("");
    expect(flow.preview).toBeUndefined();

    await flow.unlock("wrong");
    expect(flow.step).toBe("password");
    expect(flow.wrongPassword).toBe(true);
    expect(flow.problem).toMatch(/wrong password/i);

    await flow.unlock("test");
    expect(flow.step).toBe("preview");
    expect(flow.wrongPassword).toBe(false);
    expect(flow.problem).toBe("");
    expect(flow.preview?.fileName).toBe("aegis_encrypted.json");
    const passwords = fake.calls.filter((c) => c.cmd === "preview_import").map((c) => c.args.password);
    expect(passwords).toEqual([null, "wrong", "test"]);
  });

  it("does not send an empty password", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("aegis_encrypted.json"));
    await flow.unlock("");
    expect(flow.problem).toMatch(/password/);
    expect(fake.calls.filter((c) => c.cmd === "preview_import")).toHaveLength(1);
  });

  it("reads a picked file by path and re-reads it when the format is overridden", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.pick();
    expect(flow.fileName).toBe("aegis.json");
    expect(flow.preview?.format).toBe("aegis");
    await flow.setFormat("otpauth");
    expect(flow.preview?.format).toBe("otpauth");
    const reads = fake.calls.filter((c) => c.cmd === "preview_import");
    expect(reads.map((c) => c.args.source)).toEqual([
      { kind: "path", path: "/home/ada/aegis.json" },
      { kind: "path", path: "/home/ada/aegis.json" },
    ]);
    expect(reads.map((c) => c.args.format)).toEqual([null, "otpauth"]);
  });

  it("does nothing when the dialog is cancelled", async () => {
    const fake = fakeBackend({ picked: null });
    const flow = new ImportFlow();
    await flow.pick();
    expect(flow.step).toBe("choose");
    expect(fake.calls.map((c) => c.cmd)).toEqual(["pick_import_file"]);
  });

  it("says why a file cannot be read and goes back to choosing", async () => {
    fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("setup.exe"));
    expect(flow.step).toBe("choose");
    expect(flow.problem).toBe("Unrecognised file");
  });

  it("commits the preview by its id and starts over", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("export.txt"));
    const id = flow.preview?.id;
    const result = await flow.commit();
    expect(result?.imported).toBe(2);
    expect(fake.calls.find((c) => c.cmd === "commit_import")?.args).toEqual({ id });
    expect(flow.step).toBe("choose");
    expect(flow.preview).toBeUndefined();
  });

  it("keeps the preview and says why when the commit fails", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("export.txt"));
    fake.previews += 1;
    expect(await flow.commit()).toBeUndefined();
    expect(flow.step).toBe("preview");
    expect(flow.problem).toMatch(/gone/);
  });

  it("discards the preview in Rust on cancel", async () => {
    const fake = fakeBackend();
    const flow = new ImportFlow();
    await flow.drop(file("export.txt"));
    await flow.cancel();
    expect(flow.step).toBe("choose");
    expect(fake.calls.at(-1)?.cmd).toBe("discard_import");
  });
});

describe("exportBlocker", () => {
  const form = { password: "", confirm: "", acknowledged: false, vaultPassword: "vault pw" };

  it("needs a matching password for encrypted formats", () => {
    expect(exportBlocker(aegisEncrypted, form)).toMatch(/password/);
    expect(exportBlocker(aegisEncrypted, { ...form, password: "a", confirm: "b" })).toMatch(/differ/);
    expect(exportBlocker(aegisEncrypted, { ...form, password: "a", confirm: "a" })).toBeUndefined();
  });

  it("needs the acknowledgement for plaintext formats", () => {
    expect(exportBlocker(otpauth, form)).toMatch(/not encrypted/);
    expect(exportBlocker(otpauth, { ...form, acknowledged: true })).toBeUndefined();
    expect(exportBlocker(tessera, form)).toBeUndefined();
    expect(exportBlocker(undefined, form)).toMatch(/format/);
  });

  it("needs the vault password for every format", () => {
    for (const option of [tessera, aegisEncrypted, otpauth]) {
      const ready = { ...form, password: "a", confirm: "a", acknowledged: true };
      expect(exportBlocker(option, ready)).toBeUndefined();
      expect(exportBlocker(option, { ...ready, vaultPassword: "" })).toMatch(/vault password/);
    }
  });
});

describe("exportSummary", () => {
  it("says where the file went and what was left out", () => {
    const result: ExportResult = {
      written: 6,
      files: ["/tmp/g.png"],
      leftOut: [{ label: "Issuu:James", reason: "HOTP is not supported" }],
      notWritten: ["tags of 2 accounts"],
      plaintext: true,
    };
    expect(exportSummary(result)).toBe(
      "Exported 6 accounts to /tmp/g.png. Left out: Issuu:James (HOTP is not supported). Not written: tags of 2 accounts.",
    );
    expect(exportSummary({ ...result, written: 1, files: ["/a-1-of-2.png", "/a-2-of-2.png"], leftOut: [], notWritten: [] })).toBe(
      "Exported 1 account to 2 files: /a-1-of-2.png, /a-2-of-2.png.",
    );
  });
});

describe("ExportFlow", () => {
  it("sends the password only for encrypted formats and clears it afterwards", async () => {
    const fake = fakeBackend({ password: "vault pw" });
    const flow = new ExportFlow();
    flow.password = flow.confirm = "export pw";
    flow.vaultPassword = "vault pw";
    const result = await flow.run(aegisEncrypted, "/tmp/out.json");
    expect(result?.written).toBe(2);
    expect(fake.exported).toEqual([
      { format: "aegis-encrypted", vaultPassword: "vault pw", password: "export pw", acknowledgePlaintext: false, path: "/tmp/out.json" },
    ]);
    expect(flow.password).toBe("");
    expect(flow.confirm).toBe("");
    expect(flow.vaultPassword).toBe("");

    flow.password = "stale";
    flow.vaultPassword = "vault pw";
    await flow.run(tessera);
    expect(fake.exported[1]).toEqual({ format: "tessera", vaultPassword: "vault pw", password: null, acknowledgePlaintext: false, path: null });
  });

  it("says a wrong vault password in words and clears it", async () => {
    const fake = fakeBackend({ password: "vault pw" });
    const flow = new ExportFlow();
    flow.vaultPassword = "guess";
    expect(await flow.run(tessera)).toBeUndefined();
    expect(flow.problem).toBe("That is not the vault's password.");
    expect(flow.vaultPassword).toBe("");
    expect(flow.result).toBeUndefined();
    expect(fake.exported).toHaveLength(1);
  });

  it("refuses a plaintext export without the acknowledgement, without calling Rust", async () => {
    const fake = fakeBackend({ password: "vault pw" });
    const flow = new ExportFlow();
    flow.vaultPassword = "vault pw";
    expect(await flow.run(otpauth)).toBeUndefined();
    expect(flow.problem).toMatch(/not encrypted/);
    expect(fake.exported).toEqual([]);
    flow.acknowledged = true;
    expect((await flow.run(otpauth))?.plaintext).toBe(true);
    expect(fake.exported[0]?.acknowledgePlaintext).toBe(true);
    expect(flow.acknowledged).toBe(false);
  });

  it("says so when the file exists", async () => {
    fakeBackend({ password: "vault pw" });
    const flow = new ExportFlow();
    flow.vaultPassword = "vault pw";
    expect(await flow.run(tessera, "/tmp/exists.tessera")).toBeUndefined();
    expect(flow.problem).toMatch(/never overwrite/);
  });
});
