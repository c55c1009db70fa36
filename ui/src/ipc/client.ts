/**
 * The UI's one way into Rust: awaits a generated command from `bindings.ts`
 * and turns every failure into an `IpcFailure` with a `code` to branch on.
 *
 * Branch on `code`, never on `message` (that text is for people).
 */
import type { IpcError, IpcErrorCode, Result } from "./bindings";

/**
 * What can go wrong with a call: one of Rust's `IpcErrorCode`s, or
 * `unreachable` when no answer came back from Rust at all (the page runs
 * outside Tessera, the command is unknown or not permitted, the reply was
 * malformed).
 */
export type FailureCode = IpcErrorCode | "unreachable";

export class IpcFailure extends Error {
  override readonly name = "IpcFailure";
  readonly code: FailureCode;

  /** `message` as a sentence: Rust's messages start in lower case (the CLI prints them after "tessera: "). */
  constructor(code: FailureCode, message: string, options?: { cause?: unknown }) {
    super(message.charAt(0).toUpperCase() + message.slice(1), options);
    this.code = code;
  }
}

/** Await a command that cannot fail in Rust; only transport failures throw. */
export async function call<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    throw asFailure(error);
  }
}

/** Await a command that returns `Result<T, IpcError>` and unwrap its value. */
export async function unwrap<T>(command: Promise<Result<T, IpcError>>): Promise<T> {
  const result = await call(command);
  if (result.status === "ok") {
    return result.data;
  }
  throw new IpcFailure(result.error.code, result.error.message, { cause: result.error });
}

/**
 * Any caught error as an `IpcFailure`: failures of `call` and `unwrap` as
 * they are, an `IpcError` Rust rejected with under its own code, anything
 * else as `unreachable`.
 */
export function asFailure(error: unknown): IpcFailure {
  if (error instanceof IpcFailure) {
    return error;
  }
  if (isIpcError(error)) {
    return new IpcFailure(error.code, error.message, { cause: error });
  }
  return new IpcFailure("unreachable", describe(error), { cause: error });
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    "code" in value &&
    "message" in value &&
    typeof value.code === "string" &&
    typeof value.message === "string"
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === "string") {
    return error;
  }
  return "No answer from Tessera's core.";
}

/** An event of the generated `events` (only `listen` is needed here). */
interface Listenable<T> {
  listen: (handler: (event: { payload: T }) => void) => Promise<() => void>;
}

/**
 * Listens to a Rust event (its payload goes to `handler`) until the returned function is called: the shape
 * `onMount` wants for its clean-up. A failure to listen (the page runs
 * outside Tessera) is ignored; unlistening after the runtime went (tests,
 * the window closing) is too.
 */
export function listenWhileMounted<T>(event: Listenable<T>, handler: (payload: T) => void): () => void {
  let stop: (() => void) | undefined;
  let gone = false;
  event
    .listen((received) => {
      handler(received.payload);
    })
    .then((unlisten) => {
      if (gone) unlisten();
      else stop = unlisten;
    })
    .catch(() => undefined);
  return () => {
    gone = true;
    const done: unknown = stop?.();
    if (done instanceof Promise) done.catch(() => undefined);
  };
}
