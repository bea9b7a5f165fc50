//! Synthetic Azure logs: the demo scenario (a story with an attack hidden in
//! routine activity) and bulk generation for benchmarks. Events are built
//! once in a shape-neutral form and rendered into each export shape by
//! [`render`], so the same story exists as ECS, raw Azure and Sentinel logs.

mod aftermath;
mod cast;
mod render;
mod rng;
mod story;
mod write;

pub use render::{render, render_sentinel_row};
pub use story::{bulk, demo};
pub use write::{ShapeChoice, write_bulk, write_scenario};

use chrono::{DateTime, Utc};

pub const TENANT: &str = "9d3c1b0e-5b7a-4f6e-8c1d-2a4b6c8d0e1f";
pub const SUBSCRIPTION: &str = "6a2f0b61-0d3e-4c55-9c0f-3b1e2e7d9a10";
pub const DOMAIN: &str = "contoso-lab.com";

/// Who did something.
#[derive(Debug, Clone)]
pub struct Actor {
    /// None for service principals and managed identities.
    pub upn: Option<String>,
    pub display: String,
    pub object_id: String,
    pub app_id: String,
    pub app_name: String,
}

/// An Azure resource by its parts.
#[derive(Debug, Clone)]
pub struct Resource {
    pub group: String,
    /// `Microsoft.Storage/storageAccounts`.
    pub provider: String,
    pub name: String,
}

impl Resource {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/{}/{}",
            self.group, self.provider, self.name
        )
    }
}

#[derive(Debug, Clone)]
pub enum Detail {
    /// An Azure Resource Manager operation (activity log).
    Activity {
        /// Upper-case operation name as the activity log writes it.
        operation: String,
        display: String,
        /// `Start`, `Success` or `Failure`.
        result: &'static str,
    },
    SignIn {
        app_id: String,
        app_name: String,
        resource: String,
        /// 0 for success, otherwise the Entra error code.
        error: u32,
        country: &'static str,
        city: &'static str,
        user_agent: String,
        interactive: bool,
    },
    Audit {
        activity: String,
        category: &'static str,
        service: &'static str,
        operation_type: &'static str,
        result: &'static str,
        target_name: String,
        target_id: String,
        target_type: &'static str,
        /// A user target's sign-in name.
        target_upn: Option<String>,
        /// What changed on the target: property name and new value, as
        /// the log writes it (JSON text).
        modified: Vec<(&'static str, String)>,
    },
    KeyVault {
        operation: String,
        status: u16,
        uri: String,
        client: String,
    },
}

/// One event of a scenario, before it is given a shape.
#[derive(Debug, Clone)]
pub struct SynthEvent {
    pub time: DateTime<Utc>,
    pub id: String,
    pub correlation: String,
    pub actor: Actor,
    pub ip: String,
    pub resource: Option<Resource>,
    pub detail: Detail,
}
