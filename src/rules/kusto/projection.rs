//! Which columns a Kusto query can read from its source tables, told from
//! its text, so that rows kept during a streaming pass hold only those.
//! Every column is read for every kept row, so words that cannot be
//! columns (operators, functions, numbers, literal text) are left out;
//! anything that might be one stays in, `let` names included, since a
//! column may share one.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::tables::standard_columns;

/// Words of the query language that name operators and their parameters.
/// Only lower-case words no log table uses as a column; a word left out
/// here merely costs one lookup per row.
const KEYWORDS: &[&str] = &[
    "and",
    "anti",
    "as",
    "asc",
    "away",
    "between",
    "by",
    "contains",
    "contains_cs",
    "desc",
    "distinct",
    "endswith",
    "endswith_cs",
    "expand",
    "extend",
    "false",
    "fullouter",
    "has",
    "has_all",
    "has_any",
    "has_cs",
    "hasprefix",
    "hassuffix",
    "in",
    "inner",
    "innerunique",
    "join",
    "left",
    "leftanti",
    "leftouter",
    "leftsemi",
    "let",
    "limit",
    "matches",
    "mv",
    "not",
    "notcontains",
    "nulls",
    "on",
    "or",
    "order",
    "parse",
    "project",
    "regex",
    "rename",
    "reorder",
    "right",
    "rightanti",
    "rightouter",
    "rightsemi",
    "semi",
    "sort",
    "startswith",
    "startswith_cs",
    "summarize",
    "take",
    "true",
    "union",
    "where",
    "with",
];

/// The columns a query can read, when they can be told from its text.
/// Rows add their table's standard columns, which results show. A query
/// that can reach columns it does not name (`*`, `pack_all`, `search`)
/// has none.
pub struct Projection {
    pub(super) names: BTreeSet<String>,
    /// `names` and every table's standard columns, sorted: where a kept
    /// row's values are found.
    pub(super) all: Arc<[String]>,
}

impl Projection {
    pub fn of(query: &str, extra: &[String]) -> Option<Projection> {
        let lower = query.to_ascii_lowercase();
        if query.contains('*')
            || ["pack_all", "search", "find", "getschema", "bag_unpack"]
                .iter()
                .any(|w| lower.contains(w))
        {
            return None;
        }
        let mut names = BTreeSet::new();
        let b = query.as_bytes();
        let mut i = 0;
        // The next literal is a column name: `column_ifexists("X", ...)`
        // or a bracketed name, `['Column name']`.
        let mut literal_names = false;
        while i < b.len() {
            let c = b[i];
            if c == b'/' && b.get(i + 1) == Some(&b'/') {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
                continue;
            }
            if c == b'"' || c == b'\'' {
                let verbatim = i > 0 && matches!(b[i - 1], b'@' | b'h' | b'H');
                let bracketed =
                    b[..i].iter().rev().find(|x| !x.is_ascii_whitespace()) == Some(&b'[');
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' && !verbatim { 2 } else { 1 };
                }
                let end = i.min(b.len());
                if literal_names || bracketed {
                    names.insert(query[start..end].to_string());
                    literal_names = false;
                }
                i = end + 1;
                continue;
            }
            if !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            let word = &query[start..i];
            let next = b[i..].iter().find(|x| !x.is_ascii_whitespace());
            if next == Some(&b'(') {
                literal_names |= word == "column_ifexists";
                continue;
            }
            if word.as_bytes()[0].is_ascii_digit() || KEYWORDS.contains(&word) {
                continue;
            }
            names.insert(word.to_string());
        }
        names.extend(extra.iter().cloned());
        let mut all: BTreeSet<String> = names.clone();
        for table in super::tables::KNOWN_TABLES {
            all.extend(standard_columns(table).iter().map(|c| c.to_string()));
        }
        Some(Projection {
            names,
            all: all.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Projection;

    #[test]
    fn a_projection_keeps_every_name_the_query_could_read() {
        let p = Projection::of(
            "SigninLogs | where ResultType == \"0\" | extend C = column_ifexists(\"Extra\", \"\") \
             | project [\"Other Name\"], ['Odd Name'], UserPrincipalName",
            &["IPAddress".to_string()],
        )
        .unwrap();
        for name in [
            "ResultType",
            "Extra",
            "Other Name",
            "Odd Name",
            "UserPrincipalName",
            "IPAddress",
        ] {
            assert!(p.names.contains(name), "{name}");
        }
        assert!(!p.names.contains("AppDisplayName"));
    }

    #[test]
    fn operators_functions_let_names_and_literal_text_are_not_columns() {
        let p = Projection::of(
            "let Window = 2h; // the operation's name\n\
             AzureActivity\n\
             | where OperationNameValue has_any (\"listKeys/action\", @\"Microsoft\\Storage\")\n\
             | summarize Calls = count () by bin(TimeGenerated, Window), Caller\n\
             | join kind=inner (AuditLogs | extend Ip = tostring(InitiatedBy.user.ipAddress)) \
               on $left.CallerIpAddress == $right.Ip",
            &[],
        )
        .unwrap();
        let names: Vec<&str> = p.names.iter().map(String::as_str).collect();
        for column in [
            "AzureActivity",
            "OperationNameValue",
            "TimeGenerated",
            "Caller",
            "InitiatedBy",
            "user",
            "ipAddress",
            "CallerIpAddress",
            "Ip",
            "kind",
        ] {
            assert!(names.contains(&column), "{column} in {names:?}");
        }
        for not_column in [
            "operation",
            "where",
            "has_any",
            "listKeys",
            "action",
            "Microsoft",
            "Storage",
            "count",
            "bin",
            "tostring",
            "left",
            "right",
            "on",
            "2h",
            "summarize",
        ] {
            assert!(!names.contains(&not_column), "{not_column} in {names:?}");
        }
    }

    #[test]
    fn queries_that_reach_unnamed_columns_keep_whole_rows() {
        for q in [
            "SigninLogs | project-away *Details",
            "SigninLogs | extend All = pack_all()",
            "search \"185.220.101.47\"",
        ] {
            assert!(Projection::of(q, &[]).is_none(), "{q}");
        }
    }
}
