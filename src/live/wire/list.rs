//! `kind: List` responses and their paging.

use serde::{Deserialize, Serialize};

/// A `kind: List` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    /// Always `List`.
    #[serde(default)]
    pub kind: String,
    /// Always `v3`.
    #[serde(default)]
    pub api_version: String,
    /// The items.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Present on paginated lists (nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_info: Option<PageInfo>,
}

/// `pageInfo` of a paginated list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Items on this page.
    #[serde(default)]
    pub current_count: u32,
    /// Marker for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::wire::Node;

    #[test]
    fn node_list_tolerates_unknown_fields() {
        let list: List<Node> = serde_json::from_str(
            r#"{"kind":"List","apiVersion":"v3","items":[{"kind":"Node","metadata":{"uid":"n1","name":"a","future":1},"spec":{"flavor":"c7.large.2"},"status":{"phase":"Active","configurationUpToDate":false}}],"pageInfo":{"currentCount":1,"nextMarker":"n1"}}"#,
        )
        .expect("valid json");
        assert_eq!(list.items[0].metadata.uid, "n1");
        assert_eq!(
            list.page_info.and_then(|p| p.next_marker).as_deref(),
            Some("n1")
        );
    }
}
