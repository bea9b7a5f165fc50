//! The field-mapping table (`fields.toml`) and what it answers: which kind
//! and shape a record is, its canonical entity fields, and the value of a
//! field asked for by any shape's name.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, RwLock};

use foldhash::HashMap;
use serde::Deserialize;
use serde_json::Value;

use super::doc::{first_scalar, first_text, get_path, scalar_text};
pub use super::spelling::clean_ip;
use super::spelling::{
    camel_path, geo_details, id_part, last_segment, logged_claims, logged_form, lower_first,
    snake_first, snake_path, upper_first,
};
use crate::model::{Canonical, Outcome, Shape, SourceKind, parse_time};

mod file;

const BUILTIN: &str = include_str!("../fields.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Condition {
    field: Vec<String>,
    /// Each field's number among the paths kind rules read, given when the
    /// table loads.
    #[serde(skip)]
    ids: Vec<usize>,
    #[serde(default)]
    any: Vec<String>,
    contains: Option<String>,
    #[serde(default)]
    exists: bool,
}

struct KindRule {
    kind: SourceKind,
    shape: Shape,
    when: Vec<Condition>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Canon {
    Time,
    Upn,
    Ip,
    Operation,
    Outcome,
    ResourceId,
    ResourceName,
    AppId,
    AppName,
    UserAgent,
    Correlation,
}

impl Canon {
    const ALL: [(Canon, &'static str); 11] = [
        (Canon::Time, "time"),
        (Canon::Upn, "upn"),
        (Canon::Ip, "ip"),
        (Canon::Operation, "operation"),
        (Canon::Outcome, "outcome"),
        (Canon::ResourceId, "resource_id"),
        (Canon::ResourceName, "resource_name"),
        (Canon::AppId, "app_id"),
        (Canon::AppName, "app_name"),
        (Canon::UserAgent, "user_agent"),
        (Canon::Correlation, "correlation"),
    ];
}

#[derive(Clone, Copy, Debug)]
enum Compute {
    Dataset,
    Table,
    Outcome,
    Ip,
    Operation,
    ActivityStatus,
    ResourceName,
    ResourceType,
    Subscription,
    ResourceGroup,
    Lower,
    User,
    Provider,
    IdProvider,
    Geo,
}

struct Derived {
    kinds: Vec<SourceKind>,
    from: Vec<String>,
    compute: Compute,
}

struct Prefix {
    kinds: Vec<SourceKind>,
    ecs: String,
    azure: Vec<String>,
    sentinel: bool,
    sentinel_prefix: Vec<String>,
}

const MAX_CACHED_NAMES: usize = 4096;

type OtherNames = HashMap<SourceKind, HashMap<String, Arc<[String]>>>;

/// The loaded mapping table.
pub struct Mapping {
    pub json_fields: Vec<String>,
    rules: Vec<KindRule>,
    /// How many distinct paths kind rules read.
    condition_paths: usize,
    datasets: HashMap<SourceKind, (String, String)>,
    canonical: HashMap<(Canon, Option<SourceKind>), Vec<String>>,
    success: Vec<String>,
    failure: Vec<String>,
    /// name -> kind -> the same field's other names.
    alias: HashMap<String, HashMap<SourceKind, Vec<String>>>,
    prefixes: Vec<Prefix>,
    derived: HashMap<String, Vec<Derived>>,
    /// kind -> name -> the other names to try, in order (aliases, then
    /// prefix rules): worked out once per name, as lookups run for every
    /// rule on every event and most of them miss.
    others: RwLock<OtherNames>,
}

impl Mapping {
    /// The table compiled into the binary.
    pub fn builtin() -> &'static Mapping {
        static M: OnceLock<Mapping> = OnceLock::new();
        M.get_or_init(|| match Mapping::from_toml(BUILTIN) {
            Ok(m) => m,
            Err(e) => panic!("built-in fields.toml is invalid: {e}"),
        })
    }

    /// Which log and which shape a document is.
    pub fn classify(&self, doc: &Value) -> (SourceKind, Shape) {
        let mut seen = Seen(vec![None; self.condition_paths]);
        for rule in &self.rules {
            if rule.when.iter().all(|c| holds(c, doc, &mut seen)) {
                return (rule.kind, rule.shape);
            }
        }
        (SourceKind::Other, Shape::Unknown)
    }

    /// The first candidate field of `canon` the document has, lent where
    /// it holds the text: most picks are parsed, lower-cased or cleaned
    /// into a value of their own anyway.
    fn pick<'a>(&self, doc: &'a Value, canon: Canon, kind: SourceKind) -> Option<Cow<'a, str>> {
        let specific = self.canonical.get(&(canon, Some(kind)));
        let any = self.canonical.get(&(canon, None));
        specific
            .into_iter()
            .chain(any)
            .flatten()
            .find_map(|path| first_text(doc, path))
    }

    /// Only the event time (cheaper than [`Mapping::canonical`] when that is
    /// all a caller needs).
    pub fn time(&self, doc: &Value, kind: SourceKind) -> Option<chrono::DateTime<chrono::Utc>> {
        self.pick(doc, Canon::Time, kind)
            .and_then(|t| parse_time(&t))
    }

    /// The canonical entity fields of a document of the given kind.
    pub fn canonical(&self, doc: &Value, kind: SourceKind) -> Canonical {
        let lower = |s: Cow<'_, str>| s.to_lowercase();
        let resource_id = self.pick(doc, Canon::ResourceId, kind).map(lower);
        let resource_name = self.pick(doc, Canon::ResourceName, kind).or_else(|| {
            matches!(kind, SourceKind::Activity | SourceKind::KeyVault)
                .then(|| resource_id.as_deref().and_then(last_segment))
                .flatten()
                .map(Cow::Owned)
        });
        let resource_name = resource_name.map(lower);
        Canonical {
            time: self.time(doc, kind),
            upn: self.pick(doc, Canon::Upn, kind).map(lower),
            ip: self.pick(doc, Canon::Ip, kind).and_then(|s| clean_ip(&s)),
            operation: self.pick(doc, Canon::Operation, kind).map(Cow::into_owned),
            outcome: self
                .pick(doc, Canon::Outcome, kind)
                .map(|v| self.outcome(kind, &v))
                .unwrap_or_default(),
            resource_id,
            resource_name,
            app_id: self.pick(doc, Canon::AppId, kind).map(Cow::into_owned),
            app_name: self.pick(doc, Canon::AppName, kind).map(Cow::into_owned),
            user_agent: self.pick(doc, Canon::UserAgent, kind).map(Cow::into_owned),
            correlation: self
                .pick(doc, Canon::Correlation, kind)
                .map(Cow::into_owned),
        }
    }

    /// The canonical field (`upn`, `ip`, `operation` ...) that `name`,
    /// in any shape's vocabulary, is a source of.
    pub fn canonical_of(&self, name: &str) -> Option<&'static str> {
        let canon = self
            .canonical
            .iter()
            .find(|(_, paths)| paths.iter().any(|p| p == name))
            .map(|((c, _), _)| *c)?;
        Canon::ALL
            .iter()
            .find(|(c, _)| *c == canon)
            .map(|(_, n)| *n)
    }

    /// Normalises an outcome word or code.
    pub fn outcome(&self, kind: SourceKind, v: &str) -> Outcome {
        let v = v.trim().to_ascii_lowercase();
        if kind == SourceKind::SignIn {
            if let Ok(code) = v.parse::<i64>() {
                return if code == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
            }
        }
        if self.success.contains(&v) {
            Outcome::Success
        } else if self.failure.contains(&v) {
            Outcome::Failure
        } else {
            Outcome::Unknown
        }
    }

    /// The ECS dataset and Sentinel table of a kind.
    pub fn dataset(&self, kind: SourceKind) -> Option<(&str, &str)> {
        self.datasets
            .get(&kind)
            .map(|(e, s)| (e.as_str(), s.as_str()))
    }

    /// Every value of field `name` in `doc`, where `name` may be written in
    /// any shape's vocabulary: the document's own field when it has one,
    /// otherwise the same field under another shape's name.
    pub fn lookup<'a>(&self, doc: &'a Value, kind: SourceKind, name: &str) -> Vec<Cow<'a, Value>> {
        let mut found = Vec::new();
        get_path(doc, name, &mut found);
        if !found.is_empty() {
            return found.into_iter().map(Cow::Borrowed).collect();
        }
        if let Some(rows) = self.derived.get(name) {
            for d in rows.iter().filter(|d| d.kinds.contains(&kind)) {
                if let Some(v) = self.compute(doc, kind, d) {
                    return vec![Cow::Owned(v)];
                }
            }
        }
        for other in self.others(kind, name).iter() {
            get_path(doc, other, &mut found);
            if found.is_empty() {
                continue;
            }
            // Asked by another shape's name, a nested value found in
            // Filebeat's form is given in the form that name implies.
            return found
                .into_iter()
                .map(|v| match v {
                    Value::Object(_) | Value::Array(_) => self.as_named(other, v),
                    v => Cow::Borrowed(v),
                })
                .collect();
        }
        Vec::new()
    }

    /// A nested value found at `path`, in the form a record of another
    /// shape writes it: values Filebeat rewrote are given back as the
    /// record had them.
    fn as_named<'a>(&self, path: &str, v: &'a Value) -> Cow<'a, Value> {
        if self
            .prefixes
            .iter()
            .any(|p| path.starts_with(p.ecs.as_str()))
        {
            return Cow::Owned(logged_form(v));
        }
        match v {
            Value::Object(m)
                if path.starts_with("azure.") && path.ends_with(".identity.claims") =>
            {
                Cow::Owned(logged_claims(m))
            }
            v => Cow::Borrowed(v),
        }
    }

    /// The names `name` goes by on records of `kind` besides its own.
    fn others(&self, kind: SourceKind, name: &str) -> Arc<[String]> {
        let known = |cache: &OtherNames| cache.get(&kind).and_then(|m| m.get(name)).cloned();
        // A poisoned cache only means another thread panicked mid-insert;
        // what it holds is still valid.
        if let Some(o) = known(&self.others.read().unwrap_or_else(|e| e.into_inner())) {
            return o;
        }
        let mut list: Vec<String> = self
            .alias
            .get(name)
            .and_then(|by_kind| by_kind.get(&kind))
            .cloned()
            .unwrap_or_default();
        list.extend(self.prefix_candidates(kind, name));
        // Aliases and prefix rules often spell a name alike (and a
        // one-segment rest is snake-cased alike both ways): each is
        // tried once.
        let mut seen = std::collections::HashSet::new();
        list.retain(|c| seen.insert(c.clone()));
        let list: Arc<[String]> = list.into();
        let mut cache = self.others.write().unwrap_or_else(|e| e.into_inner());
        let names = cache.entry(kind).or_default();
        // Names usually come from rules, but a whole-row query asks for
        // every key a record has: log keys must not grow this forever.
        if names.len() < MAX_CACHED_NAMES {
            names.insert(name.to_string(), list.clone());
        }
        list
    }

    /// Every path in a record that a lookup of `name` may read, on records
    /// of any kind: the name itself, its other names, and what a value
    /// derived under that name is worked out from.
    pub fn sources(&self, name: &str) -> Vec<String> {
        let mut out = vec![name.to_string()];
        for kind in SourceKind::ALL {
            out.extend(self.others(kind, name).iter().cloned());
        }
        for d in self.derived.get(name).into_iter().flatten() {
            out.extend(d.from.iter().cloned());
        }
        out
    }

    /// The paths the table itself reads of every record: what tells a
    /// record's kind, and the canonical fields of the event model.
    pub fn own_paths(&self) -> Vec<String> {
        let when = self.rules.iter().flat_map(|r| &r.when);
        let mut out: Vec<String> = when.flat_map(|c| c.field.iter().cloned()).collect();
        out.extend(self.canonical.values().flatten().cloned());
        out
    }

    /// Whether the table can find `name` on records of shapes that do not
    /// use it: it names an alias, a derived field, a canonical candidate, or
    /// falls under a prefix rule. Fields it does not know are found only on
    /// records that carry them under that very name.
    pub fn knows(&self, name: &str) -> bool {
        self.derived.contains_key(name)
            || self.alias.contains_key(name)
            || self
                .canonical
                .values()
                .any(|paths| paths.iter().any(|p| p == name))
            || self
                .prefixes
                .iter()
                .any(|p| name.starts_with(p.ecs.as_str()))
    }

    fn prefix_candidates(&self, kind: SourceKind, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for p in self.prefixes.iter().filter(|p| p.kinds.contains(&kind)) {
            let rest = if let Some(rest) = name.strip_prefix(p.ecs.as_str()) {
                Some(rest.to_string())
            } else {
                p.azure
                    .iter()
                    .filter(|a| !a.is_empty())
                    .find_map(|a| name.strip_prefix(a.as_str()))
                    .or_else(|| {
                        p.sentinel_prefix
                            .iter()
                            .find_map(|a| name.strip_prefix(a.as_str()))
                    })
                    .map(str::to_string)
                    .or_else(|| {
                        (p.sentinel && name.starts_with(|c: char| c.is_ascii_uppercase()))
                            .then(|| lower_first(name))
                    })
            };
            let Some(rest) = rest else { continue };
            let camel = camel_path(&rest);
            out.push(format!("{}{}", p.ecs, snake_first(&rest)));
            out.push(format!("{}{}", p.ecs, snake_path(&rest)));
            for a in &p.azure {
                out.push(format!("{a}{camel}"));
            }
            for a in &p.sentinel_prefix {
                out.push(format!("{a}{camel}"));
            }
            if p.sentinel {
                out.push(upper_first(&camel));
            }
        }
        out.retain(|c| c != name);
        out
    }

    fn compute(&self, doc: &Value, kind: SourceKind, d: &Derived) -> Option<Value> {
        let source = || d.from.iter().find_map(|f| first_scalar(doc, f));
        let s = match d.compute {
            Compute::Geo => return geo_details(doc),
            Compute::Dataset => self.dataset(kind)?.0.to_string(),
            Compute::Table => self.dataset(kind)?.1.to_string(),
            // Each derived value picks only the canonical field it needs:
            // lookups run per rule per event.
            Compute::Outcome => {
                let o = self.outcome(kind, &self.pick(doc, Canon::Outcome, kind)?);
                if o == Outcome::Unknown {
                    return None;
                }
                o.name().to_string()
            }
            Compute::Ip => clean_ip(&self.pick(doc, Canon::Ip, kind)?)?,
            Compute::Operation => self.pick(doc, Canon::Operation, kind)?.into_owned(),
            Compute::User => self.pick(doc, Canon::Upn, kind)?.into_owned(),
            // Parts of the resource id as the record writes it (canonical
            // fields are lower-cased for grouping; these keep the case).
            Compute::ResourceName => {
                let id = self.pick(doc, Canon::ResourceId, kind)?;
                last_segment(&id)?
            }
            // A subscription is a GUID, case-insensitive; resource ids write
            // it in upper case, the activity log's own field in lower.
            Compute::ResourceType => {
                let id = self.pick(doc, Canon::ResourceId, kind)?;
                let mut parts = id.trim_end_matches('/').rsplit('/');
                parts.next()?;
                parts.next()?.to_string()
            }
            Compute::Subscription => {
                id_part(&self.pick(doc, Canon::ResourceId, kind)?, "subscriptions")?.to_lowercase()
            }
            Compute::ResourceGroup => {
                id_part(&self.pick(doc, Canon::ResourceId, kind)?, "resourcegroups")?
            }
            Compute::ActivityStatus => {
                let v = source()?;
                match v.to_ascii_lowercase().as_str() {
                    "success" => "Succeeded".to_string(),
                    "failure" => "Failed".to_string(),
                    "start" => "Started".to_string(),
                    "accept" => "Accepted".to_string(),
                    _ => v,
                }
            }
            Compute::Lower => source()?.to_lowercase(),
            // The namespace an operation belongs to, as Log Analytics
            // fills ResourceProviderValue: `MICROSOFT.STORAGE/...` names
            // MICROSOFT.STORAGE.
            // The provider namespace in a resource id, as AzureDiagnostics
            // fills ResourceProvider (`MICROSOFT.KEYVAULT`).
            Compute::IdProvider => id_part(&self.pick(doc, Canon::ResourceId, kind)?, "providers")?,
            Compute::Provider => {
                let op = self.pick(doc, Canon::Operation, kind)?;
                let (namespace, _) = op.split_once('/')?;
                namespace.to_string()
            }
        };
        Some(Value::String(s))
    }
}

/// The values at each path a document's classification has looked at, by
/// path number (see `Condition::ids`): kind rules ask the same few fields
/// (`event.dataset`, `category`, `Type`) over and over, and every record
/// is classified.
struct Seen<'a>(Vec<Option<Vec<&'a Value>>>);

impl<'a> Seen<'a> {
    fn at(&mut self, doc: &'a Value, id: usize, path: &str) -> &[&'a Value] {
        self.0[id].get_or_insert_with(|| {
            let mut found = Vec::new();
            get_path(doc, path, &mut found);
            found
        })
    }
}

/// Whether a kind rule's condition holds of a document.
fn holds<'a>(c: &Condition, doc: &'a Value, seen: &mut Seen<'a>) -> bool {
    let mut found: &[&Value] = &[];
    for (f, &id) in c.field.iter().zip(&c.ids) {
        found = seen.at(doc, id, f);
        if found.iter().any(|v| !v.is_null()) {
            break;
        }
        found = &[];
    }
    if found.is_empty() {
        return false;
    }
    if c.exists {
        return true;
    }
    fn text<'v>(v: &&'v Value) -> Option<Cow<'v, str>> {
        match v {
            Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s.as_str())),
            other => scalar_text(other).map(Cow::Owned),
        }
    }
    if let Some(sub) = &c.contains {
        let sub = sub.to_ascii_lowercase();
        return found
            .iter()
            .filter_map(text)
            .any(|t| t.to_ascii_lowercase().contains(&sub));
    }
    found
        .iter()
        .filter_map(text)
        .any(|t| c.any.iter().any(|a| a.eq_ignore_ascii_case(&t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_table_loads() {
        let m = Mapping::builtin();
        assert!(!m.rules.is_empty());
    }

    #[test]
    fn outcome_words_and_codes_in_any_case() {
        let m = Mapping::builtin();
        for w in ["Success", "success", "Succeeded", "SUCCEEDED.", "OK"] {
            assert_eq!(m.outcome(SourceKind::Activity, w), Outcome::Success, "{w}");
        }
        for w in ["Failure", "failed", "Forbidden"] {
            assert_eq!(m.outcome(SourceKind::KeyVault, w), Outcome::Failure, "{w}");
        }
        assert_eq!(m.outcome(SourceKind::Activity, "Start"), Outcome::Unknown);
        assert_eq!(m.outcome(SourceKind::SignIn, "0"), Outcome::Success);
        assert_eq!(m.outcome(SourceKind::SignIn, "50126"), Outcome::Failure);
    }

    #[test]
    fn dataset_from_data_stream_alone_or_beside_event_dataset() {
        let m = Mapping::builtin();
        let only_stream = json!({"data_stream": {"dataset": "azure.activitylogs"}});
        assert_eq!(m.classify(&only_stream), (SourceKind::Activity, Shape::Ecs));
        let both = json!({"data_stream.dataset": "azure.signinlogs", "event": {"dataset": "azure.signinlogs"}});
        assert_eq!(m.classify(&both), (SourceKind::SignIn, Shape::Ecs));
        // The lookup by one name is answered by the other.
        let v = m.lookup(&only_stream, SourceKind::Activity, "event.dataset");
        assert_eq!(
            v.first().map(|v| v.as_ref().clone()),
            Some(json!("azure.activitylogs"))
        );
    }

    #[test]
    fn a_broken_table_is_a_located_error() {
        let err = Mapping::from_toml("json_fields = [\n").err().unwrap();
        assert!(err.contains("line"), "{err}");
        let bad_kind = BUILTIN.replacen("kind = \"activity\"", "kind = \"activty\"", 1);
        assert!(
            Mapping::from_toml(&bad_kind)
                .err()
                .unwrap()
                .contains("activty")
        );
    }

    #[test]
    fn signin_prefix_mapping_reaches_raw_and_sentinel() {
        let m = Mapping::builtin();
        let raw =
            json!({"category": "SignInLogs", "properties": {"appDisplayName": "Azure Portal"}});
        let row = json!({"Type": "SigninLogs", "AppDisplayName": "Azure Portal"});
        for doc in [&raw, &row] {
            let (kind, _) = m.classify(doc);
            let v = m.lookup(doc, kind, "azure.signinlogs.properties.app_display_name");
            assert_eq!(
                v.first().map(|v| v.as_ref().clone()),
                Some(json!("Azure Portal"))
            );
        }
        let ecs = json!({"event": {"dataset": "azure.signinlogs"}, "azure": {"signinlogs": {"properties": {"app_display_name": "Azure Portal"}}}});
        let v = m.lookup(&ecs, SourceKind::SignIn, "AppDisplayName");
        assert_eq!(
            v.first().map(|v| v.as_ref().clone()),
            Some(json!("Azure Portal"))
        );
    }
}
