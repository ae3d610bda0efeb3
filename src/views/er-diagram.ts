// The ER diagram of the live schema, drawn as inline SVG (no script, no library, nothing fetched). Layout: a
// table sits one column to the right of every table it references, so parents read left of their children; a
// column holds a few tables at most, and tables with no foreign key either way go last. Each foreign key is a
// curve from the child's column to the parent's, with a crow's foot on the "many" end. Drizzle names sit beside
// SQL names where they differ, and a table the Drizzle schema does not declare is marked.
import { formatCount, html, trustedHtml, type Html } from './html.js';

/** Structurally a subset of introspection's DatabaseSchema, so the live schema can be passed as it is. */
export interface ErColumn {
  name: string;
  type: string;
  notNull: boolean;
  /** 1-based position in the primary key. */
  primaryKey?: number;
}

export interface ErForeignKey {
  columns: string[];
  table: string;
  to: string[];
  onDelete?: string;
  onUpdate?: string;
}

export interface ErTable {
  name: string;
  columns: ErColumn[];
  foreignKeys: ErForeignKey[];
  rowCount?: { count: number; exact: boolean };
}

/** The project's Drizzle schema (export and property names); absent when it could not be loaded. */
export interface ErDrizzleTable {
  name: string;
  exportName: string;
  columns: Array<{ name: string; property: string }>;
}

export interface ErDiagramInput {
  tables: ErTable[];
  drizzle?: ErDrizzleTable[];
  /** Why the Drizzle names are missing, when they are. */
  drizzleNote?: string;
}

const CHAR = 7.23; // width of one character of 12px DejaVu Sans Mono / SF Mono, the fonts the stylesheet names
const ROW = 20;
const HEAD = 28;
const PAD = 10;
const GAP_X = 80;
/** Up to this width the diagram shrinks to fit its frame; beyond it, text would be too small: it scrolls. */
const FIT_MAX_WIDTH = 1400;
const GAP_Y = 28;
const MARGIN = 20;
const MAX_PER_COLUMN = 6;

interface Box {
  table: ErTable;
  drizzle: ErDrizzleTable | undefined;
  /** False when the Drizzle schema is known and does not declare this table (drift, or a table of ours). */
  declared: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export function renderErDiagram(input: ErDiagramInput): Html {
  const drizzleByName = new Map(input.drizzle?.map((t) => [t.name, t]));
  const boxes = layout(input.tables, drizzleByName);
  const width = Math.max(320, ...boxes.map((b) => b.x + b.width + MARGIN));
  const height = Math.max(120, ...boxes.map((b) => b.y + b.height + MARGIN));
  const fkCount = input.tables.reduce((sum, t) => sum + t.foreignKeys.length, 0);
  return html`<section class="er">
    <div class="header">
      <div>
        <h1>Database schema</h1>
        <p class="muted">
          ${formatCount(input.tables.length)} tables · ${formatCount(fkCount)} foreign
          keys${input.drizzle ? '' : html` · <span>${input.drizzleNote ?? 'Drizzle names unavailable'}</span>`}
        </p>
      </div>
    </div>
    <div class="er-legend">
      <span><b class="mono">PK</b> primary key</span><span><b class="mono">FK</b> foreign key</span
      ><span><span class="mono">name?</span> nullable</span
      ><span>grey names: the Drizzle schema's, where they differ</span
      ><span>${trustedHtml(LEGEND_MANY)} the "many" side</span>
    </div>
    ${
      boxes.length === 0
        ? html`<p class="empty">The database has no tables yet.</p>`
        : html`<div class="er-wrap">
            <svg
              class="${width <= FIT_MAX_WIDTH ? 'fit' : ''}"
              xmlns="http://www.w3.org/2000/svg"
              width="${Math.ceil(width)}"
              height="${Math.ceil(height)}"
              viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}"
              role="img"
              aria-label="Entity-relationship diagram"
            >
              ${trustedHtml(MARKERS)}
              <g class="edges">${edges(boxes)}</g>
              ${boxes.map(drawBox)}
            </svg>
          </div>`
    }
  </section>`;
}

const MARKERS = `<defs>
<marker id="er-many" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="12" markerHeight="12" markerUnits="userSpaceOnUse" orient="auto"><path class="er-edge" d="M0,6 L12,0 M0,6 L12,6 M0,6 L12,12"/></marker>
<marker id="er-one" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="12" markerHeight="12" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path class="er-edge" d="M8,1 L8,11"/></marker>
</defs>`;

const LEGEND_MANY =
  '<svg width="26" height="12" viewBox="0 0 26 12" aria-hidden="true"><path class="er-edge" d="M0,6 L26,6 M14,6 L26,0 M14,6 L26,12"/></svg>';

function columnLabel(column: ErColumn, drizzle: ErDrizzleTable | undefined): { property?: string } {
  const property = drizzle?.columns.find((c) => c.name === column.name)?.property;
  return property !== undefined && property !== column.name ? { property } : {};
}

function boxWidth(table: ErTable, drizzle: ErDrizzleTable | undefined): number {
  const rows = table.columns.map((column) => {
    const { property } = columnLabel(column, drizzle);
    return 3 + column.name.length + (property ? property.length + 1 : 0) + 2 + (column.type || 'any').length;
  });
  // The title is bold and a size larger than the 12px columns: about 15 % wider per character.
  const header =
    Math.ceil(table.name.length * 1.15) +
    Math.max(16, drizzle && drizzle.exportName !== table.name ? drizzle.exportName.length + 3 : 0) +
    2 +
    rowsLabel(table).length;
  return Math.max(170, Math.ceil(Math.max(header + 2, ...rows) * CHAR + 2 * PAD));
}

function rowsLabel(table: ErTable): string {
  if (!table.rowCount) return '';
  const { count, exact } = table.rowCount;
  return `${exact ? '' : '~'}${formatCount(count)} ${count === 1 && exact ? 'row' : 'rows'}`;
}

/** Depth in the reference graph: 0 for a table that references no other, else one more than its deepest parent. */
function levels(tables: ErTable[]): Map<string, number> {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a cycle: cut it here
    visiting.add(name);
    let deepest = -1;
    for (const fk of byName.get(name)?.foreignKeys ?? []) {
      if (fk.table !== name && byName.has(fk.table)) deepest = Math.max(deepest, visit(fk.table));
    }
    visiting.delete(name);
    level.set(name, deepest + 1);
    return deepest + 1;
  };
  for (const table of tables) visit(table.name);
  return level;
}

function layout(tables: ErTable[], drizzleByName: Map<string, ErDrizzleTable>): Box[] {
  const linked = new Set<string>();
  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      if (fk.table === table.name) continue;
      linked.add(table.name);
      linked.add(fk.table);
    }
  }
  const level = levels(tables);
  const groups: ErTable[][] = [];
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!linked.has(table.name)) continue;
    const l = level.get(table.name)!;
    (groups[l] ??= []).push(table);
  }
  // Order each level by where its parents sit, so curves cross less.
  const rank = new Map<string, number>();
  const columns: ErTable[][] = [];
  for (const group of groups.filter(Boolean)) {
    const weight = (t: ErTable) => {
      const parents = t.foreignKeys
        .map((fk) => rank.get(fk.table))
        .filter((r): r is number => r !== undefined);
      return parents.length === 0
        ? Number.MAX_SAFE_INTEGER
        : parents.reduce((a, b) => a + b, 0) / parents.length;
    };
    group.sort((a, b) => weight(a) - weight(b));
    group.forEach((t, i) => rank.set(t.name, i));
    for (let i = 0; i < group.length; i += MAX_PER_COLUMN) columns.push(group.slice(i, i + MAX_PER_COLUMN));
  }
  const boxes: Box[] = [];
  const place = (table: ErTable, x: number, y: number) => {
    const drizzle = drizzleByName.get(table.name);
    const box = {
      table,
      drizzle,
      declared: drizzleByName.size === 0 || drizzle !== undefined,
      x,
      y,
      width: boxWidth(table, drizzle),
      height: HEAD + Math.max(1, table.columns.length) * ROW + 6,
    };
    boxes.push(box);
    return box;
  };
  let x = MARGIN;
  let bottom = MARGIN;
  for (const column of columns) {
    let y = MARGIN;
    let widest = 0;
    for (const table of column) {
      const box = place(table, x, y);
      y += box.height + GAP_Y;
      widest = Math.max(widest, box.width);
    }
    bottom = Math.max(bottom, y);
    x += widest + GAP_X;
  }
  // Tables with no foreign key either way flow in rows below the graph, as wide as the graph (or 3 per row).
  const loose = tables.filter((t) => !linked.has(t.name)).sort((a, b) => a.name.localeCompare(b.name));
  const rowWidth = Math.max(x - GAP_X, 3 * 260);
  let lx = MARGIN;
  let ly = bottom + (columns.length > 0 ? GAP_Y / 2 : 0);
  let rowHeight = 0;
  for (const table of loose) {
    const box = place(table, lx, ly);
    if (lx > MARGIN && lx + box.width > rowWidth + MARGIN) {
      lx = MARGIN;
      ly += rowHeight + GAP_Y;
      rowHeight = 0;
      box.x = lx;
      box.y = ly;
    }
    lx += box.width + GAP_Y;
    rowHeight = Math.max(rowHeight, box.height);
  }
  return boxes;
}

function rowY(box: Box, column: string | undefined): number {
  const index = column === undefined ? -1 : box.table.columns.findIndex((c) => c.name === column);
  return index === -1 ? box.y + HEAD / 2 : box.y + HEAD + index * ROW + ROW / 2 + 1;
}

function edges(boxes: Box[]): Html[] {
  const byName = new Map(boxes.map((b) => [b.table.name, b]));
  const paths: Html[] = [];
  for (const child of boxes) {
    for (const fk of child.table.foreignKeys) {
      const parent = byName.get(fk.table);
      if (!parent) continue;
      const yc = rowY(child, fk.columns[0]);
      const yp = rowY(parent, fk.to[0]);
      let d: string;
      if (parent === child || Math.abs(parent.x - child.x) < 1) {
        // Same column (a self-reference or a cycle cut): loop out on the right.
        const xr = child.x + child.width;
        const xp = parent.x + parent.width;
        const bulge = 36 + Math.abs(yc - yp) / 8;
        d = `M${xp},${yp} C${xp + bulge},${yp} ${xr + bulge},${yc} ${xr},${yc}`;
      } else if (parent.x < child.x) {
        const x1 = parent.x + parent.width;
        const x2 = child.x;
        const bend = Math.max(30, (x2 - x1) / 2);
        d = `M${x1},${yp} C${x1 + bend},${yp} ${x2 - bend},${yc} ${x2},${yc}`;
      } else {
        const x1 = parent.x;
        const x2 = child.x + child.width;
        const bend = Math.max(30, (x1 - x2) / 2);
        d = `M${x1},${yp} C${x1 - bend},${yp} ${x2 + bend},${yc} ${x2},${yc}`;
      }
      const label = `${child.table.name}(${fk.columns.join(', ')}) → ${fk.table}(${fk.to.join(', ')})${fk.onDelete && fk.onDelete !== 'no action' ? ` ON DELETE ${fk.onDelete.toUpperCase()}` : ''}`;
      paths.push(
        html`<path class="er-edge" d="${d}" marker-start="url(#er-one)" marker-end="url(#er-many)"
          ><title>${label}</title></path
        >`,
      );
    }
  }
  return paths;
}

function drawBox(box: Box): Html {
  const { table, drizzle, declared, x, y, width, height } = box;
  const fkColumns = new Map<string, ErForeignKey>();
  for (const fk of table.foreignKeys) for (const c of fk.columns) fkColumns.set(c, fk);
  const exportName = drizzle && drizzle.exportName !== table.name ? drizzle.exportName : undefined;
  // One text element, so the browser places the Drizzle name after the bold SQL name, whatever the font.
  return html`<g class="er-box" data-table="${table.name}">
    <rect class="body" x="${x}" y="${y}" width="${width}" height="${height}" rx="7" />
    <rect class="head" x="${x + 0.5}" y="${y + 0.5}" width="${width - 1}" height="${HEAD - 1}" rx="6.5" />
    <text class="title" x="${x + PAD}" y="${y + 18}"
      >${table.name}${exportName ? html`<tspan class="dz"> · ${exportName}</tspan>` : ''}${declared ? '' : html`<tspan class="undeclared"> · not in schema</tspan>`}</text
    >
    <text class="rows" x="${x + width - PAD}" y="${y + 18}" text-anchor="end">${rowsLabel(table)}</text>
    ${table.columns.map((column, i) => {
      const cy = y + HEAD + i * ROW + 14;
      const fk = fkColumns.get(column.name);
      const marker = column.primaryKey !== undefined ? 'PK' : fk ? 'FK' : '';
      const { property } = columnLabel(column, drizzle);
      return html`<g${fk ? html` data-fk="${fk.table}"` : ''}>${fk ? html`<title>${column.name} → ${fk.table}(${fk.to.join(', ')})</title>` : ''}
    <text class="${marker === 'PK' ? 'pk' : 'fk'}" x="${x + PAD}" y="${cy}">${marker}</text>
    <text x="${x + PAD + 3 * CHAR}" y="${cy}">${column.name}${column.notNull || column.primaryKey !== undefined ? '' : '?'}${property ? html`<tspan class="dz"> ${property}</tspan>` : ''}</text>
    <text class="type" x="${x + width - PAD}" y="${cy}" text-anchor="end">${column.type || 'any'}</text></g>`;
    })}
  </g>`;
}
