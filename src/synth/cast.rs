//! Who and what the demo tenant holds: people, their usual addresses, the
//! applications they sign in to, and the operations the story uses.

pub struct Person {
    pub name: &'static str,
    pub display: &'static str,
    pub home_ip: &'static str,
    pub country: &'static str,
    pub city: &'static str,
}

macro_rules! people {
    ($(($name:literal, $display:literal, $ip:literal, $country:literal, $city:literal)),* $(,)?) => {
        &[$(Person { name: $name, display: $display, home_ip: $ip, country: $country, city: $city }),*]
    };
}

pub const PEOPLE: &[Person] = people![
    ("megan.ross", "Megan Ross", "192.0.2.14", "US", "Seattle"),
    ("alex.kim", "Alex Kim", "198.51.100.12", "US", "Seattle"),
    (
        "priya.natarajan",
        "Priya Natarajan",
        "198.51.100.25",
        "US",
        "Redmond"
    ),
    ("tom.becker", "Tom Becker", "192.0.2.31", "DE", "Berlin"),
    (
        "lena.fischer",
        "Lena Fischer",
        "192.0.2.32",
        "DE",
        "Hamburg"
    ),
    ("omar.haddad", "Omar Haddad", "192.0.2.45", "GB", "London"),
    ("grace.liu", "Grace Liu", "192.0.2.51", "US", "Portland"),
    (
        "samuel.okafor",
        "Samuel Okafor",
        "192.0.2.60",
        "GB",
        "Manchester"
    ),
    (
        "nina.petrova",
        "Nina Petrova",
        "192.0.2.72",
        "US",
        "Seattle"
    ),
    (
        "diego.alvarez",
        "Diego Alvarez",
        "192.0.2.80",
        "ES",
        "Madrid"
    ),
    (
        "hannah.wright",
        "Hannah Wright",
        "192.0.2.91",
        "US",
        "Bellevue"
    ),
    ("kenji.sato", "Kenji Sato", "192.0.2.103", "US", "Seattle"),
    ("fatima.zahra", "Fatima Zahra", "192.0.2.117", "GB", "Leeds"),
    (
        "liam.oconnor",
        "Liam O'Connor",
        "192.0.2.125",
        "IE",
        "Dublin"
    ),
    ("sofia.rossi", "Sofia Rossi", "192.0.2.133", "US", "Tacoma"),
    ("noah.jensen", "Noah Jensen", "192.0.2.141", "US", "Seattle"),
    ("ava.martin", "Ava Martin", "192.0.2.150", "US", "Redmond"),
    ("yusuf.demir", "Yusuf Demir", "192.0.2.162", "GB", "London"),
    ("chloe.dubois", "Chloe Dubois", "192.0.2.170", "FR", "Lyon"),
    (
        "ethan.brooks",
        "Ethan Brooks",
        "192.0.2.188",
        "US",
        "Seattle"
    ),
];

pub fn person(name: &str) -> &'static Person {
    PEOPLE.iter().find(|p| p.name == name).unwrap_or(&PEOPLE[0])
}

pub const ATTACKER_IP: &str = "185.220.101.47";
pub const CORP_IPS: &[&str] = &["198.51.100.40", "198.51.100.41", "198.51.100.42"];
pub const AUTOMATION_IP: &str = "20.50.2.10";
pub const APP_IP: &str = "20.50.2.31";

/// An application users sign in to: id, name, and the resource it reaches.
#[derive(Clone, Copy)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub resource: &'static str,
}

const fn app(id: &'static str, name: &'static str, resource: &'static str) -> App {
    App { id, name, resource }
}

pub const APPS: &[App] = &[
    app(
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams",
        "Microsoft Teams Services",
    ),
    app(
        "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 Exchange Online",
        "Office 365 Exchange Online",
    ),
    app(
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
        "Office 365 SharePoint Online",
    ),
    app(
        "4765445b-32c6-49b0-83e6-1d93765276ca",
        "OfficeHome",
        "Office 365 Exchange Online",
    ),
    app(
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        "Microsoft Office",
        "Microsoft Graph",
    ),
];
pub const OFFICE_HOME: App = APPS[3];
pub const PORTAL: App = app(
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    "Azure Portal",
    "Windows Azure Service Management API",
);
pub const AZ_CLI: App = app(
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    "Microsoft Azure CLI",
    "Windows Azure Service Management API",
);

pub const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
pub const ATTACKER_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
pub const CLI_UA: &str = "python/3.11.9 (Linux-6.8.0-x86_64-with-glibc2.39) AZURECLI/2.67.0";
pub const KV_SDK_NET: &str = "azsdk-net-Security.KeyVault.Secrets/4.6.0";
pub const KV_SDK_PY: &str = "azsdk-python-keyvault-secrets/4.9.0 Python/3.11.9";

/// An Azure Resource Manager operation as the activity log names it.
#[derive(Clone, Copy)]
pub struct Arm {
    pub op: &'static str,
    pub display: &'static str,
}

pub const LIST_KEYS: Arm = Arm {
    op: "Microsoft.Storage/storageAccounts/listKeys/action",
    display: "List Storage Account Keys",
};
pub const REGENERATE_KEY: Arm = Arm {
    op: "Microsoft.Storage/storageAccounts/regenerateKey/action",
    display: "Regenerate Storage Account Keys",
};
pub const VAULT_WRITE: Arm = Arm {
    op: "Microsoft.KeyVault/vaults/write",
    display: "Update Key Vault",
};
pub const SECRET_WRITE: Arm = Arm {
    op: "Microsoft.KeyVault/vaults/secrets/write",
    display: "Write Secret",
};
pub const ROLE_ASSIGNMENT: Arm = Arm {
    op: "Microsoft.Authorization/roleAssignments/write",
    display: "Create role assignment",
};
pub const SITE_WRITE: Arm = Arm {
    op: "Microsoft.Web/sites/write",
    display: "Create or Update Web App",
};
pub const SITE_RESTART: Arm = Arm {
    op: "Microsoft.Web/sites/restart/action",
    display: "Restart Web App",
};
pub const DEPLOYMENT: Arm = Arm {
    op: "Microsoft.Resources/deployments/write",
    display: "Create Deployment",
};
pub const VM_START: Arm = Arm {
    op: "Microsoft.Compute/virtualMachines/start/action",
    display: "Start Virtual Machine",
};
pub const VM_DEALLOCATE: Arm = Arm {
    op: "Microsoft.Compute/virtualMachines/deallocate/action",
    display: "Deallocate Virtual Machine",
};
pub const RUN_COMMAND: Arm = Arm {
    op: "Microsoft.Compute/virtualMachines/runCommand/action",
    display: "Run Command on Virtual Machine",
};
pub const LOCK_DELETE: Arm = Arm {
    op: "Microsoft.Authorization/locks/delete",
    display: "Delete management locks",
};
pub const LOCK_WRITE: Arm = Arm {
    op: "Microsoft.Authorization/locks/write",
    display: "Create management locks",
};
pub const DIAG_DELETE: Arm = Arm {
    op: "Microsoft.Insights/diagnosticSettings/delete",
    display: "Delete diagnostic setting",
};
pub const DIAG_WRITE: Arm = Arm {
    op: "Microsoft.Insights/diagnosticSettings/write",
    display: "Create or update resource diagnostic setting",
};
