/** A number with its noun in the right form: "1 account", "3 accounts". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}
