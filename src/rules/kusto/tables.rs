//! Log Analytics tables built from loaded events of any shape: a sign-in
//! is a `SigninLogs` row whether it came from Sentinel, a diagnostic
//! export or Elasticsearch; columns are looked up through the mapping
//! table by their Sentinel names.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use serde_json::Value as Json;

use super::eval::Row;
use super::exec::{Doc, Getter, KRow, Table, Tables};
use super::projection::Projection;
use super::value::{KV, date_from_str};
use crate::detect::EventRef;
use crate::ingest::{self, Mapping};
use crate::model::{Shape, SourceKind};
use crate::rules::fields::{Fields, Mapped};

/// Columns shown for rows that came from another shape (their own field
/// names are not Log Analytics columns), per table; other tables have
/// [`OTHER_COLUMNS`]. They are the columns such a row carries through
/// operators that settle its values (`join`, `partition`, `mv-apply`...),
/// so each nested column a query may read after one is listed.
const STANDARD: &[(&[&str], &[&str])] = &[
    (
        &["SigninLogs", "AADNonInteractiveUserSignInLogs"],
        &[
            "TimeGenerated",
            "UserPrincipalName",
            "UserDisplayName",
            "UserId",
            "AppDisplayName",
            "AppId",
            "IPAddress",
            "ResultType",
            "ResultDescription",
            "Location",
            "LocationDetails",
            "Status",
            "DeviceDetail",
            "UserAgent",
            "ClientAppUsed",
            "IsInteractive",
            "ResourceDisplayName",
            "ResourceIdentity",
            "OperationName",
            "Category",
            "CorrelationId",
            "Id",
            "Type",
        ],
    ),
    (
        &["AuditLogs"],
        &[
            "TimeGenerated",
            "OperationName",
            "Category",
            "Result",
            "ResultReason",
            "LoggedByService",
            "ActivityDisplayName",
            "AADOperationType",
            "InitiatedBy",
            "TargetResources",
            "AdditionalDetails",
            "CorrelationId",
            "Id",
            "Type",
        ],
    ),
    (
        &["AzureActivity"],
        &[
            "TimeGenerated",
            "OperationNameValue",
            "OperationName",
            "ActivityStatusValue",
            "ActivityStatus",
            "ActivitySubstatusValue",
            "Caller",
            "CallerIpAddress",
            "CategoryValue",
            "Category",
            "ResourceGroup",
            "ResourceProviderValue",
            "_ResourceId",
            "SubscriptionId",
            "CorrelationId",
            "Authorization",
            "Claims",
            "Properties",
            "Level",
            "TenantId",
            "Type",
        ],
    ),
    (
        &["AzureDiagnostics"],
        // With the columns Log Analytics makes of a Key Vault audit event.
        &[
            "TimeGenerated",
            "ResourceId",
            "OperationName",
            "ResultType",
            "ResultSignature",
            "CallerIPAddress",
            "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s",
            "identity_claim_appid_g",
            "identity_claim_oid_g",
            "Resource",
            "ResourceGroup",
            "ResourceProvider",
            "ResourceType",
            "Category",
            "SubscriptionId",
            "requestUri_s",
            "id_s",
            "clientInfo_s",
            "httpStatusCode_d",
            "CorrelationId",
            "Type",
        ],
    ),
];

const OTHER_COLUMNS: &[&str] = &["TimeGenerated", "Type"];

/// String columns of each table, as Azure Monitor's table reference types
/// them. Kusto has no null string: where a record lacks one of these, the
/// row reads empty text, so `Caller == ""` holds and `isnull(Caller)` does
/// not. Other columns a record lacks read as null.
const STRING_COLUMNS: &[(&[&str], &[&str])] = &[
    (
        &["SigninLogs", "AADNonInteractiveUserSignInLogs"],
        &[
            "AlternateSignInName",
            "AppDisplayName",
            "AppId",
            "AuthenticationProtocol",
            "AuthenticationRequirement",
            "Category",
            "ClientAppUsed",
            "ConditionalAccessStatus",
            "CorrelationId",
            "CrossTenantAccessType",
            "HomeTenantId",
            "Id",
            "Identity",
            "IPAddress",
            "Location",
            "OperationName",
            "OriginalRequestId",
            "ResourceDisplayName",
            "ResourceId",
            "ResourceTenantId",
            "ResultDescription",
            "ResultSignature",
            "ResultType",
            "RiskDetail",
            "RiskLevelAggregated",
            "RiskLevelDuringSignIn",
            "RiskState",
            "ServicePrincipalId",
            "ServicePrincipalName",
            "SessionId",
            "TokenIssuerName",
            "TokenIssuerType",
            "UserAgent",
            "UserDisplayName",
            "UserId",
            "UserPrincipalName",
            "UserType",
        ],
    ),
    (
        &["AuditLogs"],
        &[
            "AADOperationType",
            "ActivityDisplayName",
            "Category",
            "CorrelationId",
            "Id",
            "Identity",
            "LoggedByService",
            "OperationName",
            "OperationVersion",
            "Result",
            "ResultDescription",
            "ResultReason",
        ],
    ),
    (
        &["AzureActivity"],
        &[
            "ActivityStatus",
            "ActivityStatusValue",
            "ActivitySubstatus",
            "ActivitySubstatusValue",
            "Caller",
            "CallerIpAddress",
            "Category",
            "CategoryValue",
            "CorrelationId",
            "EventDataId",
            "Level",
            "OperationId",
            "OperationName",
            "OperationNameValue",
            "Resource",
            "ResourceGroup",
            "ResourceId",
            "ResourceProvider",
            "ResourceProviderValue",
            "SubscriptionId",
            "_ResourceId",
        ],
    ),
    (
        &["AzureDiagnostics"],
        &[
            "CallerIPAddress",
            "Category",
            "CorrelationId",
            "OperationName",
            "OperationVersion",
            "Resource",
            "ResourceGroup",
            "ResourceId",
            "ResourceProvider",
            "ResourceType",
            "ResultDescription",
            "ResultSignature",
            "ResultType",
            "SubscriptionId",
            "_ResourceId",
        ],
    ),
];

/// Whether a table types a column as text (so a missing value is empty).
/// AzureDiagnostics types its other columns by suffix: `_s` strings and
/// `_g` GUIDs are text too.
fn is_string_column(table: &str, name: &str) -> bool {
    // Asked for every column a row lacks, of every row a query reads.
    static BY_TABLE: OnceLock<HashMap<&'static str, HashSet<&'static str>>> = OnceLock::new();
    let by_table = BY_TABLE.get_or_init(|| {
        let mut m: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
        for (tables, cols) in STRING_COLUMNS {
            for t in *tables {
                m.entry(t).or_default().extend(cols.iter().copied());
            }
        }
        m
    });
    by_table.get(table).is_some_and(|cols| cols.contains(name))
        || (table == "AzureDiagnostics" && (name.ends_with("_s") || name.ends_with("_g")))
}

/// Where a table's standard columns are: its entry in [`STANDARD`], or
/// just past them for [`OTHER_COLUMNS`].
fn standard_entry(table: &str) -> usize {
    STANDARD
        .iter()
        .position(|(tables, _)| tables.contains(&table))
        .unwrap_or(STANDARD.len())
}

fn standard_lists() -> impl Iterator<Item = &'static [&'static str]> {
    STANDARD.iter().map(|(_, c)| *c).chain([OTHER_COLUMNS])
}

/// A table's standard columns, one list shared by every row that has
/// them.
fn shared_standard_columns(table: &str) -> Arc<[String]> {
    static SHARED: OnceLock<Vec<Arc<[String]>>> = OnceLock::new();
    let lists = SHARED.get_or_init(|| {
        standard_lists()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect()
    });
    lists[standard_entry(table)].clone()
}

pub(super) fn standard_columns(table: &str) -> &'static [&'static str] {
    standard_lists()
        .nth(standard_entry(table))
        .unwrap_or(OTHER_COLUMNS)
}

/// Every table's standard columns, and those of any other table.
pub fn all_standard_columns() -> impl Iterator<Item = &'static str> {
    standard_lists().flatten().copied()
}

/// The table an event belongs to.
pub fn table_of(doc: &Json, kind: SourceKind, mapping: &Mapping) -> Option<String> {
    let field = |k: &str| match doc {
        Json::Object(m) => ingest::doc::member(m, k),
        _ => None,
    };
    if let Some(t) = field("Type").and_then(Json::as_str) {
        return Some(t.to_string());
    }
    let category = field("category").and_then(Json::as_str).unwrap_or("");
    if kind == SourceKind::SignIn && category.eq_ignore_ascii_case("NonInteractiveUserSignInLogs") {
        return Some("AADNonInteractiveUserSignInLogs".into());
    }
    mapping.dataset(kind).map(|(_, table)| table.to_string())
}

fn value_of(name: &str, j: &Json) -> KV {
    match j {
        Json::String(s) if name == "TimeGenerated" || name.ends_with("DateTime") => {
            date_from_str(s).map_or_else(|| KV::Str(s.clone()), KV::Date)
        }
        other => KV::from_json(other),
    }
}

/// An event read as a row of `table`, its columns looked up by their
/// Log Analytics names.
struct EventRow<'d> {
    fields: &'d dyn Fields,
    doc: &'d Json,
    table: &'d str,
    /// The row has its own columns (its document's members) rather than
    /// the table's standard ones and the rest of its record.
    own: bool,
}

impl Row for EventRow<'_> {
    fn any_value(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        let column = |c: &str, test: &mut dyn FnMut(&str) -> bool| test(&self.get(c).to_text());
        Some(match (self.own, self.doc) {
            (true, Json::Object(m)) => m.keys().any(|c| column(c, test)),
            (true, _) => false,
            (false, doc) => {
                standard_columns(self.table).iter().any(|c| column(c, test))
                    || super::eval::any_leaf(doc, test)
            }
        })
    }

    fn get(&self, name: &str) -> KV {
        if name == "Type" {
            return self
                .doc
                .get("Type")
                .map_or_else(|| KV::Str(self.table.to_string()), KV::from_json);
        }
        let found = self.fields.values(name);
        match found.first() {
            Some(v) => match value_of(name, v.as_ref()) {
                KV::Null if is_string_column(self.table, name) => KV::Str(String::new()),
                other => other,
            },
            None if is_string_column(self.table, name) => KV::Str(String::new()),
            None => KV::Null,
        }
    }
}

/// An event about to be a row: its fields as the caller looks them up,
/// the table it belongs to and its time.
pub struct Source<'a> {
    pub ev: &'a ingest::Event<'a>,
    pub fields: &'a dyn Fields,
    pub table: &'a str,
    pub time: Option<DateTime<Utc>>,
}

/// One event as a table row.
#[derive(Clone)]
pub struct NewRow {
    pub table: Arc<str>,
    /// The table's columns, as far as this row knows them: most rows
    /// share one list.
    pub columns: Arc<[String]>,
    /// TimeGenerated in ticks.
    pub time: Option<i64>,
    pub row: KRow,
}

/// Collects the tables a query reads while logs load.
pub struct Builder {
    pub tables: Tables,
    /// `--table NAME=PATH`: files whose events form a table of that name.
    pub named: Vec<(String, String)>,
    /// The latest TimeGenerated seen, in ticks: what `now()` means offline.
    pub latest: Option<i64>,
    /// Column lists already added to a table, by table: rows sharing a
    /// list need not add it again.
    merged: Vec<(Arc<str>, Arc<[String]>)>,
}

/// Column lists remembered as merged: shared lists are few; a row with a
/// list of its own is merged each time.
const MERGED_LISTS: usize = 64;

impl Builder {
    pub fn new(named: Vec<(String, String)>) -> Builder {
        Builder {
            tables: Tables::new(),
            named,
            latest: None,
            merged: Vec::new(),
        }
    }

    pub fn offer(&mut self, ev: &ingest::Event<'_>, mapping: &'static Mapping) {
        if let Some(r) = self.row_of(ev, mapping) {
            self.push(r);
        }
    }

    /// Adds a row made by [`Builder::row_of`].
    pub fn push(&mut self, r: NewRow) {
        if let Some(t) = r.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        let known = self
            .merged
            .iter()
            .any(|(t, c)| Arc::ptr_eq(c, &r.columns) && *t == r.table);
        // The name is copied only for a table not seen before.
        if !self.tables.contains_key(&*r.table) {
            self.tables.insert(r.table.to_string(), Default::default());
        }
        let t = self
            .tables
            .get_mut(&*r.table)
            .expect("the table was added above");
        if !known {
            for c in r.columns.iter() {
                super::exec::add_column(&mut t.columns, c);
            }
            if self.merged.len() < MERGED_LISTS {
                self.merged.push((r.table.clone(), r.columns.clone()));
            }
        }
        t.rows.push(r.row);
    }

    /// The row an event makes, and its table; `None` for events of no
    /// table.
    pub fn row_of(&self, ev: &ingest::Event<'_>, mapping: &'static Mapping) -> Option<NewRow> {
        let fields = Mapped {
            doc: &ev.doc,
            kind: ev.kind,
            mapping,
        };
        let table = self.table_for(ev, mapping)?;
        let event = Source {
            ev,
            fields: &fields,
            table: &table,
            time: mapping.time(&ev.doc, ev.kind),
        };
        self.row_if(event, mapping, None, |_, _| true)
    }

    /// The table an event's row belongs to: the name given for its file,
    /// or the one its kind and fields tell.
    pub fn table_for(&self, ev: &ingest::Event<'_>, mapping: &Mapping) -> Option<String> {
        ingest::source::named_for(&ev.source.path, &self.named)
            .map(str::to_string)
            .or_else(|| table_of(&ev.doc, ev.kind, mapping))
    }

    /// The row an event makes when `keep` accepts it, judged on the event
    /// as it stands, so rows nobody keeps never copy their document. With
    /// `only`, the row holds just those columns, read once, instead of the
    /// document: what a query that names its columns needs to keep.
    pub fn row_if(
        &self,
        event: Source<'_>,
        mapping: &'static Mapping,
        only: Option<&Projection>,
        keep: impl FnOnce(&str, &dyn Row) -> bool,
    ) -> Option<NewRow> {
        let Source {
            ev,
            fields,
            table,
            time,
        } = event;
        let given = ingest::source::named_for(&ev.source.path, &self.named).is_some();
        let view = EventRow {
            fields,
            doc: &ev.doc,
            table,
            own: given || ev.shape == Shape::Sentinel,
        };
        if !keep(table, &view) {
            return None;
        }
        // A Sentinel row, or one of a file named as a table, has its own
        // columns; another shape's row has the table's standard ones.
        let own_columns: Option<Vec<String>> = (given || ev.shape == Shape::Sentinel).then(|| {
            ev.doc
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        });
        let (columns, get, record): (Arc<[String]>, Getter, _) = match only {
            Some(only) => {
                // Results show the table's standard columns as well as those
                // the query names; a Sentinel row's other columns are left.
                let standard = standard_columns(table);
                let columns: Arc<[String]> = match own_columns {
                    Some(own) => own
                        .into_iter()
                        .filter(|c| only.names.contains(c) || standard.contains(&c.as_str()))
                        .collect(),
                    None => shared_standard_columns(table),
                };
                // Values are stored against positions in the projection's
                // list of names: no names copied per row.
                let names = only.all.clone();
                let shown = columns
                    .iter()
                    .filter(|c| !only.named_result && !only.names.contains(*c));
                // A table whose uses the query lets be told is read only
                // for what they read.
                let read = only.per_table.get(table).unwrap_or(&only.names);
                let values: Vec<(usize, KV)> = read
                    .iter()
                    .chain(shown)
                    .filter_map(|c| match view.get(c) {
                        KV::Null => None,
                        v => Some((names.binary_search(c).ok()?, v)),
                    })
                    .collect();
                let get = move |name: &str| {
                    names
                        .binary_search_by(|n| n.as_str().cmp(name))
                        .ok()
                        .and_then(|i| values.iter().find(|(j, _)| *j == i))
                        .map_or(KV::Null, |(_, v)| v.clone())
                };
                (columns, Box::new(get), None)
            }
            None => {
                let record = own_columns.is_none().then(|| Arc::new(ev.doc.clone()));
                let columns =
                    own_columns.map_or_else(|| shared_standard_columns(table), Into::into);
                let doc = record.clone().unwrap_or_else(|| Arc::new(ev.doc.clone()));
                let kind = ev.kind;
                let table_name = table.to_string();
                let get = move |name: &str| -> KV {
                    let fields = Mapped {
                        doc: &doc,
                        kind,
                        mapping,
                    };
                    EventRow {
                        fields: &fields,
                        doc: &doc,
                        table: &table_name,
                        own: false,
                    }
                    .get(name)
                };
                (columns, Box::new(get), record)
            }
        };
        Some(NewRow {
            table: table.into(),
            columns,
            time: time.map(super::value::to_ticks),
            row: KRow {
                cols: Vec::new(),
                doc: Some(Arc::new(Doc { get, record })),
                evidence: vec![EventRef::new(&ev.loc, time)],
            },
        })
    }

    /// Runs a query over the collected tables.
    pub fn run(&self, q: &super::ast::Query, now_ticks: Option<i64>) -> Table {
        let now = now_ticks.or(self.latest).unwrap_or(0);
        super::exec::Exec::new(&self.tables, now).run(q)
    }
}
