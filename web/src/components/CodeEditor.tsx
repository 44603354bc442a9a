// A CodeMirror editor for Jinja2 templates (and plain config text) that can mark an error line.
import { useEffect, useMemo, useRef } from 'react';
import CodeMirror, {
  Decoration,
  EditorView,
  StateEffect,
  StateField,
  type Extension,
  type Range,
} from '@uiw/react-codemirror';
import { StreamLanguage } from '@codemirror/language';
import { jinja2 } from '@codemirror/legacy-modes/mode/jinja2';
import { useComputedColorScheme } from '@mantine/core';

const jinja = StreamLanguage.define(jinja2);

// The error line lives in editor state so it follows the document as the user edits above it.
const setErrorLine = StateEffect.define<number | null>();
const errorLineField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      if (e.value === null || e.value < 1 || e.value > tr.state.doc.lines) deco = Decoration.none;
      else {
        const line = tr.state.doc.line(e.value);
        const marks: Range<Decoration>[] = [
          Decoration.line({ class: 'cm-error-line', attributes: { 'data-testid': 'editor-error-line' } }).range(
            line.from,
          ),
        ];
        deco = Decoration.set(marks);
      }
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Parses "line L, column C: …" as the templates API reports syntax errors; null when absent. */
export function errorLineOf(message: string | null | undefined): number | null {
  const m = /line (\d+)/.exec(message ?? '');
  return m ? Number(m[1]) : null;
}

/** Code editor: Jinja2 highlighting by default, read-only mode for rendered output. */
export function CodeEditor({
  value,
  onChange,
  errorLine = null,
  readOnly = false,
  height = '420px',
  language = 'jinja2',
  testid,
}: {
  value: string;
  onChange?: (v: string) => void;
  errorLine?: number | null;
  readOnly?: boolean;
  height?: string;
  language?: 'jinja2' | 'text';
  testid?: string;
}) {
  const scheme = useComputedColorScheme('light');
  const viewRef = useRef<EditorView | null>(null);
  // The error line follows the prop: set when the API reports one, cleared when it goes away.
  useEffect(() => {
    viewRef.current?.dispatch({ effects: setErrorLine.of(errorLine) });
  }, [errorLine]);
  const extensions = useMemo<Extension[]>(
    () => [...(language === 'jinja2' ? [jinja] : []), errorLineField, EditorView.lineWrapping],
    [language],
  );
  return (
    <div className="code-editor" data-testid={testid}>
      <CodeMirror
        value={value}
        onChange={onChange}
        height={height}
        theme={scheme === 'dark' ? 'dark' : 'light'}
        readOnly={readOnly}
        editable={!readOnly}
        extensions={extensions}
        basicSetup={{ foldGutter: false, highlightActiveLine: !readOnly, autocompletion: false }}
        onCreateEditor={(view) => {
          viewRef.current = view;
          view.dispatch({ effects: setErrorLine.of(errorLine) });
        }}
      />
    </div>
  );
}
