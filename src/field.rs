//! The ten token fields: the one source of truth for their order, names,
//! CSV labels, and which are secrets or lookup keys. Headers, SQL column
//! lists, JSON, table columns and masking all derive from [`Field::ALL`].

/// One of the ten fields of a token, in store order (the order is part of
/// every store format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    UserName,
    ClientId,
    ClientSecret,
    RefreshToken,
    AccessToken,
    GrantToken,
    ExpiryTime,
    RedirectUrl,
    ApiDomain,
}

impl Field {
    /// Every field, in store order.
    pub const ALL: [Field; 10] = [
        Field::Id,
        Field::UserName,
        Field::ClientId,
        Field::ClientSecret,
        Field::RefreshToken,
        Field::AccessToken,
        Field::GrantToken,
        Field::ExpiryTime,
        Field::RedirectUrl,
        Field::ApiDomain,
    ];

    /// The field's name in JSON and in the SQL stores.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::UserName => "user_name",
            Field::ClientId => "client_id",
            Field::ClientSecret => "client_secret",
            Field::RefreshToken => "refresh_token",
            Field::AccessToken => "access_token",
            Field::GrantToken => "grant_token",
            Field::ExpiryTime => "expiry_time",
            Field::RedirectUrl => "redirect_url",
            Field::ApiDomain => "api_domain",
        }
    }

    /// Other names stores use for this field: older stores label the user
    /// `user_mail`; the Python file store labels the redirect `redirect_uri`.
    pub const fn other_labels(self) -> &'static [&'static str] {
        match self {
            Field::UserName => &["user_mail"],
            Field::RedirectUrl => &["redirect_uri"],
            _ => &[],
        }
    }

    /// The label a new file store gets (the Python SDK 8.0 header).
    pub const fn new_file_label(self) -> &'static str {
        match self {
            Field::RedirectUrl => "redirect_uri",
            other => other.name(),
        }
    }

    /// The column heading in tables.
    pub const fn heading(self) -> &'static str {
        match self {
            Field::Id => "ID",
            Field::UserName => "USER",
            Field::ClientId => "CLIENT ID",
            Field::ClientSecret => "CLIENT SECRET",
            Field::RefreshToken => "REFRESH TOKEN",
            Field::AccessToken => "ACCESS TOKEN",
            Field::GrantToken => "GRANT TOKEN",
            Field::ExpiryTime => "EXPIRES",
            Field::RedirectUrl => "REDIRECT URL",
            Field::ApiDomain => "API DOMAIN",
        }
    }

    /// Secrets are masked in output unless revealed.
    pub const fn is_secret(self) -> bool {
        matches!(
            self,
            Field::ClientSecret | Field::RefreshToken | Field::AccessToken | Field::GrantToken
        )
    }

    /// Fields that `save`/`find` look tokens up by (indexed in SQL stores).
    pub const fn is_lookup_key(self) -> bool {
        matches!(
            self,
            Field::Id
                | Field::UserName
                | Field::RefreshToken
                | Field::AccessToken
                | Field::GrantToken
        )
    }

    /// The field's position in store order.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The field a name (or another label of it) stands for.
    pub fn from_label(label: &str) -> Option<Field> {
        let label = label.trim();
        Field::ALL.into_iter().find(|f| {
            f.name().eq_ignore_ascii_case(label)
                || f.other_labels()
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(label))
        })
    }
}

/// The field names in store order.
pub const FIELD_NAMES: [&str; 10] = {
    let mut names = [""; 10];
    let mut i = 0;
    while i < 10 {
        names[i] = Field::ALL[i].name();
        i += 1;
    }
    names
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_kinds_agree() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), i);
            assert_eq!(Field::from_label(field.name()), Some(field));
        }
        assert_eq!(Field::from_label("user_mail"), Some(Field::UserName));
        assert_eq!(Field::from_label("redirect_uri"), Some(Field::RedirectUrl));
        let secrets: Vec<usize> = Field::ALL
            .into_iter()
            .filter(|f| f.is_secret())
            .map(Field::index)
            .collect();
        assert_eq!(secrets, [3, 4, 5, 6]);
    }
}
