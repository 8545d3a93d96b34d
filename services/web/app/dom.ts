/** Small DOM helpers. Text from the server only ever goes in through textContent. */

export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`page is missing [data-testid="${id}"]`);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id) as T | null;
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; testId?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.testId) node.dataset.testid = props.testId;
  for (const c of children) node.append(c);
  return node;
}

/** An avatar: a colour from the avatar number (spread round the colour wheel) and the nickname's first letter. */
export function avatar(headNum: number, nickName: string, big = false): HTMLSpanElement {
  const node = el('span', { className: big ? 'avatar big' : 'avatar', text: [...nickName.trim()][0] ?? '?' });
  paintAvatar(node, headNum, nickName);
  return node;
}

export function paintAvatar(node: HTMLElement, headNum: number, nickName: string): void {
  node.textContent = [...nickName.trim()][0] ?? '?';
  node.style.background = `hsl(${Math.round((headNum * 137.508) % 360)} 55% 45%)`;
  node.title = `avatar ${headNum}`;
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
