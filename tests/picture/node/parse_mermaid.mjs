// Parse every Mermaid text of a JSON array (stdin) with Mermaid's own parser, in one Node process.
// Prints a JSON array: {ok, type, entities: [names], relationships: n, attributes: {entity: [names]}} or {ok: false, error}.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const k of ["Element", "HTMLElement", "Node", "DOMParser"]) if (!(k in globalThis)) globalThis[k] = dom.window[k];
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const entities = diagram.db.getEntities();
    const list = entities instanceof Map ? [...entities.entries()] : Object.entries(entities);
    out.push({
      ok: true,
      type: parsed.diagramType,
      entities: list.map(([name]) => name),
      attributes: Object.fromEntries(list.map(([name, e]) => [name, e.attributes.map((a) => a.name)])),
      relationships: diagram.db.getRelationships().length,
    });
  } catch (e) {
    out.push({ ok: false, error: String((e && e.message) || e) });
  }
}
process.stdout.write(JSON.stringify(out));
