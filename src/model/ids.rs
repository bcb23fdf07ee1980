//! Names and ids as newtypes: config keys (`ClusterName`, `PoolAddress`)
//! and CCE's uids (`ClusterId`, `PoolId`, `NodeId`), so that one is never
//! passed where another is meant.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The raw string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

newtype!(
    /// The key of a `[clusters.NAME]` table.
    ClusterName
);
newtype!(
    /// The key of a `[pools.ADDRESS]` table: a pool's address in plans.
    PoolAddress
);
newtype!(
    /// The CCE id (uid) of a cluster.
    ClusterId
);
newtype!(
    /// The CCE id (uid) of a node pool.
    PoolId
);
newtype!(
    /// The CCE id (uid) of a node.
    NodeId
);
