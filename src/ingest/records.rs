//! From framed records to events: JSON records (documents, Azure
//! `records` arrays, Log Analytics rows, search hits) and CSV rows are
//! decoded, classified and handed on with their location, or reported
//! where they cannot be read.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use serde_json::Value;

use super::{
    Column, Event, FileState, Frame, Limits, Position, Problem, RecordLoc, SourceInfo, csv, doc,
    frame_slot, json,
};

/// Where a record was framed, and its bytes when they are its JSON text.
struct Framed<'r> {
    frame: Frame,
    at: Position,
    len: u64,
    raw: Option<&'r [u8]>,
}

fn deliver(
    st: &mut FileState<'_>,
    info: &SourceInfo,
    framed: Framed<'_>,
    decoded: doc::Decoded,
    on_event: &mut dyn FnMut(Event<'_>),
) {
    let Framed {
        frame,
        at,
        len,
        raw,
    } = framed;
    if let Some((pos, p)) = decoded.repaired {
        st.error(pos, p);
    }
    match decoded.doc {
        Ok(map) => {
            let doc = Value::Object(map);
            let (kind, shape) = st.mapping.classify(&doc);
            let loc = RecordLoc {
                source: info.id,
                at,
                len,
                index: st.index,
                frame,
            };
            st.index += 1;
            st.report.records += 1;
            on_event(Event {
                loc,
                source: info,
                doc,
                raw,
                kind,
                shape,
            });
        }
        Err((pos, p)) => st.error(pos, p),
    }
}

pub(super) fn read_json<R: Read>(
    reader: R,
    info: &mut SourceInfo,
    st: &mut FileState<'_>,
    on_event: &mut dyn FnMut(Event<'_>),
) {
    // Rows that arrive before their table's columns wait here, copied.
    let mut pending: HashMap<u32, Vec<(Frame, Position, Vec<u8>)>> = HashMap::new();
    let limits = *st.limits;
    let json_fields = &st.mapping.json_fields;
    let mut handle = |chunk: json::Chunk<'_>, info: &SourceInfo, st: &mut FileState<'_>| {
        let columns = match chunk.frame {
            Frame::LaRow(t) => info.tables.get(&t).map(|c| c.as_slice()),
            _ => None,
        };
        st.frames[frame_slot(chunk.frame)] = true;
        if chunk.frame == Frame::Document && chunk.bytes.contains(&b'\n') {
            st.multiline_docs = true;
        }
        let d = doc::decode_record(
            chunk.frame,
            chunk.at,
            chunk.bytes,
            columns,
            json_fields,
            &limits,
            st.keep,
        );
        let own_text = matches!(
            chunk.frame,
            Frame::Document | Frame::AzureRecord | Frame::GraphValue
        );
        let framed = Framed {
            frame: chunk.frame,
            at: chunk.at,
            len: chunk.bytes.len() as u64,
            raw: own_text.then_some(chunk.bytes),
        };
        deliver(st, info, framed, d, on_event);
    };
    json::read(reader, &limits, &mut |item| match item {
        json::Item::Record(chunk) => match chunk.frame {
            Frame::LaRow(t) if !info.tables.contains_key(&t) => {
                pending
                    .entry(t)
                    .or_default()
                    .push((chunk.frame, chunk.at, chunk.bytes.to_vec()));
            }
            _ => handle(chunk, info, st),
        },
        json::Item::Table {
            index,
            name: _,
            columns,
            at,
        } => match parse_columns(columns, &limits) {
            Ok(cols) => {
                info.tables.insert(index, Arc::new(cols));
                for (frame, at, bytes) in pending.remove(&index).unwrap_or_default() {
                    handle(
                        json::Chunk {
                            frame,
                            at,
                            bytes: &bytes,
                        },
                        info,
                        st,
                    );
                }
            }
            Err(why) => st.error(at, Problem::Structure(why)),
        },
        json::Item::Error(e) => st.error(e.at, e.problem),
    });
    for (_, rows) in pending {
        for (_, at, _) in rows {
            st.error(
                at,
                Problem::Structure("row of a table that has no columns".into()),
            );
        }
    }
}

/// Log Analytics column lists: `{"name","type"}` (current API) or
/// `{"ColumnName","DataType"|"ColumnType"}` (older exports).
fn parse_columns(bytes: &[u8], limits: &Limits) -> Result<Vec<Column>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("bad columns: {e}"))?;
    let items = v.as_array().ok_or("columns is not an array")?;
    if items.len() > limits.max_columns {
        return Err(format!("more than {} columns", limits.max_columns));
    }
    items
        .iter()
        .map(|c| {
            let name = c
                .get("name")
                .or_else(|| c.get("ColumnName"))
                .and_then(Value::as_str)
                .ok_or("column without a name")?;
            let ty = c
                .get("type")
                .or_else(|| c.get("DataType"))
                .or_else(|| c.get("ColumnType"))
                .and_then(Value::as_str)
                .unwrap_or("");
            Ok(Column {
                name: name.to_string(),
                ty: ty.to_string(),
            })
        })
        .collect()
}

pub(super) fn read_csv<R: Read>(
    reader: R,
    info: &mut SourceInfo,
    st: &mut FileState<'_>,
    on_event: &mut dyn FnMut(Event<'_>),
) {
    let limits = *st.limits;
    let mut header: Option<Arc<Vec<Column>>> = None;
    csv::read(reader, &limits, &mut |item| match item {
        csv::CsvItem::Header(row) => {
            let cols: Vec<Column> = row
                .fields
                .iter()
                .map(|t| Column {
                    name: csv::column_name(t),
                    ty: String::new(),
                })
                .collect();
            let cols = Arc::new(cols);
            info.tables.insert(0, cols.clone());
            header = Some(cols);
        }
        csv::CsvItem::Row(row) => {
            let Some(cols) = header.as_ref() else { return };
            if row.fields.len() != cols.len() {
                st.error(
                    row.at,
                    Problem::Ragged {
                        fields: row.fields.len(),
                        header: cols.len(),
                    },
                );
                return;
            }
            let mut m = doc::csv_row_to_doc(cols, row.fields);
            doc::expand_json_text(&mut m, &st.mapping.json_fields, &limits);
            let d = doc::Decoded {
                doc: Ok(m),
                repaired: None,
            };
            let framed = Framed {
                frame: Frame::LaRow(0),
                at: row.at,
                len: row.len,
                raw: None,
            };
            deliver(st, info, framed, d, on_event);
        }
        csv::CsvItem::Error(at, p) => st.error(at, p),
    });
}
