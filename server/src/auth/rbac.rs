//! The built-in roles and what each may do. Roles are fixed in code; the `roles` table mirrors them
//! so grants are referentially checked.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A built-in role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, roles and the audit log.
    Admin,
    /// Projects, applications, instances and tasks.
    Operator,
    /// Read-only access to the fleet.
    Viewer,
}

/// An action a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read projects, applications, instances, tasks and logs.
    ReadFleet,
    /// Create, change and delete projects, applications, instances and tasks.
    ManageFleet,
    /// Manage users and their roles.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Admin => "Full access, including users, roles and the audit log",
            Role::Operator => "Manage projects, applications, instances and tasks",
            Role::Viewer => "Read-only access to the fleet",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[ReadFleet, ManageFleet, ManageUsers, ReadAudit],
            Role::Operator => &[ReadFleet, ManageFleet],
            Role::Viewer => &[ReadFleet],
        }
    }

    pub fn grants(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_manages_users_and_reads_audit() {
        for role in Role::ALL {
            assert_eq!(role.grants(Permission::ManageUsers), role == Role::Admin);
            assert_eq!(role.grants(Permission::ReadAudit), role == Role::Admin);
            assert!(role.grants(Permission::ReadFleet));
        }
        assert!(!Role::Viewer.grants(Permission::ManageFleet));
        assert!(Role::Operator.grants(Permission::ManageFleet));
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
