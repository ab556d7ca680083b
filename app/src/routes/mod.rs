//! One module per page, each with the server functions it calls.

pub mod contact;
pub mod contacts;
pub mod not_found;
pub mod processing;

/// The link to a contact's page. Contacts are found by their natural key (the name, within the
/// signed-in account), never by a synthetic id, so links survive a rebuild of the projections.
pub fn contact_path(name: &str) -> String {
    format!("/contacts/{}", urlencoding::encode(name))
}

#[cfg(test)]
mod tests {
    #[test]
    fn contact_links_carry_the_name_safely() {
        assert_eq!(super::contact_path("Steve Jobs"), "/contacts/Steve%20Jobs");
        assert_eq!(super::contact_path("A/B?c#d"), "/contacts/A%2FB%3Fc%23d");
    }
}
