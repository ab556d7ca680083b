//! Reading names out of URLs, decoded exactly once.
//!
//! leptos_router 0.8 percent-decodes path parameters and query values twice (its parameter
//! map decodes every value it is given, and values pass through more than one map; see
//! leptos-rs/leptos#4731). A contact called "100%41" would come back as "100A". Pages read
//! their path and query through these functions instead, on the server and in the browser
//! alike, so both render the same thing.

/// Percent-decodes `text` once (and `+` as a space, as forms encode it).
pub fn decode(text: &str) -> String {
    String::from_utf8_lossy(&urlencoding::decode_binary(text.replace('+', " ").as_bytes())).into_owned()
}

/// The value of `key` in a raw query string (`a=1&b=x%20y`), decoded once.
pub fn query_value(search: &str, key: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

/// The link to a contact's page. Contacts are found by their natural key (the name, within the
/// signed-in account), never by a synthetic id, so links survive a rebuild of the projections.
pub fn contact_path(name: &str) -> String {
    // `encode` writes a space as %20, never `+`, so `decode` reads the name back exactly.
    format!("/contacts/{}", urlencoding::encode(name))
}

/// The contact named by a `/contacts/<name>` path.
pub fn contact_in_path(pathname: &str) -> Option<String> {
    pathname
        .strip_prefix("/contacts/")
        .filter(|name| !name.is_empty())
        .map(decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded_exactly_once() {
        let search = "?contact=AC%2FDC%20100%2541%3F%23&x=a+b&empty=&bare";
        assert_eq!(query_value(search, "contact").as_deref(), Some("AC/DC 100%41?#"));
        assert_eq!(query_value(search, "x").as_deref(), Some("a b"));
        assert_eq!(query_value(search, "empty").as_deref(), Some(""));
        assert_eq!(query_value(search, "bare").as_deref(), Some(""));
        assert_eq!(query_value(search, "missing"), None);
        assert_eq!(
            query_value("contact=%E2%80%9Cq%E2%80%9D", "contact").as_deref(),
            Some("“q”")
        );
    }

    #[test]
    fn contact_links_carry_any_name_and_read_back_as_it() {
        assert_eq!(contact_path("Steve Jobs"), "/contacts/Steve%20Jobs");
        assert_eq!(contact_path("A/B?c#d"), "/contacts/A%2FB%3Fc%23d");
        for name in [
            "Steve Jobs",
            "AC/DC 100%41 Who? C# & co",
            "a+b",
            "Émile “Zola”",
            "...",
        ] {
            assert_eq!(contact_in_path(&contact_path(name)).as_deref(), Some(name));
        }
        assert_eq!(contact_in_path("/contacts/"), None);
        assert_eq!(contact_in_path("/elsewhere/x"), None);
    }
}
