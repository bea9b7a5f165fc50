//! The event model every other part of Vigil speaks: what kind of log a
//! record is, which shape it arrived in, and the canonical entity fields
//! (time, who, from where, did what, to what, with what outcome) that the
//! console and the engine use regardless of shape.
//!
//! This module depends on nothing else in the crate.

mod time;

pub use time::parse_time;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Which Azure log a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Activity,
    #[serde(rename = "signin")]
    SignIn,
    Audit,
    #[serde(rename = "keyvault")]
    KeyVault,
    Other,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Activity,
        SourceKind::SignIn,
        SourceKind::Audit,
        SourceKind::KeyVault,
        SourceKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Activity => "activity",
            SourceKind::SignIn => "signin",
            SourceKind::Audit => "audit",
            SourceKind::KeyVault => "keyvault",
            SourceKind::Other => "other",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// How a record's fields are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Elastic Common Schema (Elastic agent / filebeat azure integration).
    Ecs,
    /// Raw Azure Monitor, Entra diagnostic, Graph or REST records.
    Azure,
    /// Log Analytics / Sentinel table columns.
    Sentinel,
    Unknown,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Ecs => "ecs",
            Shape::Azure => "azure",
            Shape::Sentinel => "sentinel",
            Shape::Unknown => "unknown",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [Shape::Ecs, Shape::Azure, Shape::Sentinel, Shape::Unknown]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// Whether the logged operation succeeded, normalised across the words and
/// codes each log uses (`Success`, `Succeeded`, `0`, `failure`, `50126`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The entity fields of one event, the same whatever shape it came in.
///
/// UPNs, resource ids and resource names are lower-cased: Entra and Azure
/// treat them case-insensitively and each export writes its own case
/// (`STCONTOSOFIN01` in ECS, `stcontosofin01` in `AzureActivity`), and these
/// fields exist to group events by entity. The raw document keeps the case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Canonical {
    pub time: Option<DateTime<Utc>>,
    /// User principal name, or the caller when no UPN is logged (service
    /// principals, managed identities).
    pub upn: Option<String>,
    /// Source address without any port.
    pub ip: Option<String>,
    pub operation: Option<String>,
    pub outcome: Outcome,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub user_agent: Option<String>,
    /// The id Entra gives every record of one sign-in.
    pub correlation: Option<String>,
}
