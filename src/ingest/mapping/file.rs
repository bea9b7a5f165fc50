//! Reading the mapping table from its TOML text: kind rules, datasets,
//! canonical fields, outcome words, aliases, prefix rules and derived
//! fields, each checked as it loads.

use std::collections::BTreeMap;
use std::sync::RwLock;

use foldhash::{HashMap, HashMapExt};
use serde::Deserialize;

use super::{Canon, Compute, Condition, Derived, KindRule, Mapping, Prefix};
use crate::model::{Shape, SourceKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    json_fields: Vec<String>,
    kind: Vec<RawKindRule>,
    datasets: BTreeMap<String, RawDataset>,
    canonical: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    outcomes: RawOutcomes,
    #[serde(default)]
    alias: Vec<RawAlias>,
    #[serde(default)]
    prefix: Vec<RawPrefix>,
    #[serde(default)]
    derived: Vec<RawDerived>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKindRule {
    kind: String,
    shape: String,
    when: Vec<Condition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    ecs: String,
    sentinel: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcomes {
    success: Vec<String>,
    failure: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    kinds: Vec<String>,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrefix {
    kinds: Vec<String>,
    ecs: String,
    azure: Vec<String>,
    #[serde(default)]
    sentinel: bool,
    #[serde(default)]
    sentinel_prefix: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerived {
    field: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    from: Vec<String>,
    compute: String,
}

fn kind_of(s: &str) -> Result<SourceKind, String> {
    SourceKind::from_name(s).ok_or_else(|| format!("unknown kind `{s}`"))
}

fn kinds_of(v: &[String]) -> Result<Vec<SourceKind>, String> {
    if v.is_empty() {
        return Ok(SourceKind::ALL.to_vec());
    }
    v.iter().map(|s| kind_of(s)).collect()
}

impl Mapping {
    /// Loads a mapping table; errors name the line and column.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        let mut condition_paths: Vec<String> = Vec::new();
        for mut r in raw.kind {
            let shape =
                Shape::from_name(&r.shape).ok_or_else(|| format!("unknown shape `{}`", r.shape))?;
            for c in &mut r.when {
                for f in &c.field {
                    let id = match condition_paths.iter().position(|p| p == f) {
                        Some(id) => id,
                        None => {
                            condition_paths.push(f.clone());
                            condition_paths.len() - 1
                        }
                    };
                    c.ids.push(id);
                }
            }
            rules.push(KindRule {
                kind: kind_of(&r.kind)?,
                shape,
                when: r.when,
            });
        }
        let mut datasets = HashMap::new();
        for (k, d) in raw.datasets {
            datasets.insert(kind_of(&k)?, (d.ecs, d.sentinel));
        }
        let mut canonical = HashMap::new();
        for (field, per_kind) in raw.canonical {
            let canon = Canon::ALL
                .iter()
                .find(|(_, n)| *n == field)
                .map(|(c, _)| *c)
                .ok_or_else(|| format!("unknown canonical field `{field}`"))?;
            for (k, paths) in per_kind {
                let kind = if k == "any" { None } else { Some(kind_of(&k)?) };
                canonical.insert((canon, kind), paths);
            }
        }
        let mut alias: HashMap<String, HashMap<SourceKind, Vec<String>>> = HashMap::new();
        for row in raw.alias {
            for kind in kinds_of(&row.kinds)? {
                for name in &row.names {
                    let others = alias
                        .entry(name.clone())
                        .or_default()
                        .entry(kind)
                        .or_default();
                    others.extend(row.names.iter().filter(|n| *n != name).cloned());
                }
            }
        }
        let mut prefixes = Vec::new();
        for p in raw.prefix {
            prefixes.push(Prefix {
                kinds: kinds_of(&p.kinds)?,
                ecs: p.ecs,
                azure: p.azure,
                sentinel: p.sentinel,
                sentinel_prefix: p.sentinel_prefix,
            });
        }
        let mut derived: HashMap<String, Vec<Derived>> = HashMap::new();
        for d in raw.derived {
            let compute = match d.compute.as_str() {
                "dataset" => Compute::Dataset,
                "table" => Compute::Table,
                "outcome" => Compute::Outcome,
                "ip" => Compute::Ip,
                "operation" => Compute::Operation,
                "activity_status" => Compute::ActivityStatus,
                "resource_name" => Compute::ResourceName,
                "resource_type" => Compute::ResourceType,
                "subscription" => Compute::Subscription,
                "resource_group" => Compute::ResourceGroup,
                "lower" => Compute::Lower,
                "user" => Compute::User,
                "provider" => Compute::Provider,
                "id_provider" => Compute::IdProvider,
                "geo" => Compute::Geo,
                other => return Err(format!("unknown compute `{other}` for `{}`", d.field)),
            };
            derived.entry(d.field).or_default().push(Derived {
                kinds: kinds_of(&d.kinds)?,
                from: d.from,
                compute,
            });
        }
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_lowercase()).collect();
        Ok(Mapping {
            json_fields: raw.json_fields,
            rules,
            condition_paths: condition_paths.len(),
            datasets,
            canonical,
            success: lower(raw.outcomes.success),
            failure: lower(raw.outcomes.failure),
            alias,
            prefixes,
            derived,
            others: RwLock::default(),
        })
    }
}
