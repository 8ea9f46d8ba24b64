/**
 * One value or many: `undefined` for none, the item itself for one, an array past one. Most lists on the
 * request path (a scope's references and scoped instances) hold one item, and this keeps them without an
 * array (an array of one costs 56 B more). `T` must not itself be an array.
 */
export type Few<T> = T | T[] | undefined;

/** `list` with `item` appended (the same array when it already is one). */
export function fewAdd<T>(list: Few<T>, item: T): Few<T> {
  if (list === undefined) return item;
  if (!Array.isArray(list)) return [list, item];
  list.push(item);
  return list;
}

/** `list` without the last occurrence of `item`. */
export function fewRemove<T>(list: Few<T>, item: T): Few<T> {
  if (list === item) return undefined;
  if (Array.isArray(list)) {
    const i = list.lastIndexOf(item);
    if (i >= 0) list.splice(i, 1);
  }
  return list;
}

/** The items as an array, in order (the list itself when it is one; a new empty array for none). */
export function fewToArray<T>(list: Few<T>): T[] {
  return list === undefined ? [] : Array.isArray(list) ? list : [list];
}
