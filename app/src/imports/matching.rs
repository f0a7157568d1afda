//! Finding the customer an order or interaction row belongs to: by external id, then phone,
//! then email, then the reduced company name. The first of these the row gives that matches
//! anybody decides; a key matching several customers decides nothing.

use crate::{
    auth::{model::UserId, server::DataScope},
    customers::model::{name_key, normalize_phone},
    error::{AppError, FieldError},
};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};

/// Which of a row's customer columns decided (or failed) the match.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KeyColumn {
    ExternalId,
    Phone,
    Email,
    Name,
}

/// What a row says about its customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerKey {
    pub external_id: Option<String>,
    /// As written, for a customer the import creates.
    pub phone: Option<String>,
    pub phone_normalized: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub name: Option<String>,
    pub name_key: Option<String>,
}

impl CustomerKey {
    /// Reads the four customer columns; `None` values were not mapped or left empty.
    ///
    /// Errors: the column and what is wrong with it (a phone or email that is not one).
    pub fn read(
        external_id: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<CustomerKey, (KeyColumn, FieldError)> {
        let some = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let external_id = some(external_id);
        if external_id.as_ref().is_some_and(|e| e.chars().count() > 100) {
            return Err((KeyColumn::ExternalId, FieldError::TooLong { max: 100 }));
        }
        let phone = match some(phone) {
            None => None,
            Some(raw) => Some(
                crate::customers::model::validate_phone(&raw)
                    .map_err(|e| (KeyColumn::Phone, e))?
                    .unwrap_or(raw),
            ),
        };
        let email = match some(email) {
            None => None,
            Some(raw) => {
                Some(crate::auth::model::validate_email(&raw).map_err(|e| (KeyColumn::Email, e))?)
            }
        };
        let name = some(name);
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err((KeyColumn::Name, FieldError::TooLong { max: 200 }));
        }
        Ok(CustomerKey {
            external_id,
            phone_normalized: phone.as_deref().and_then(normalize_phone),
            phone,
            email,
            name_key: name.as_deref().map(name_key).filter(|k| !k.is_empty()),
            name,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.external_id.is_none()
            && self.phone_normalized.is_none()
            && self.email.is_none()
            && self.name_key.is_none()
    }

    /// Two rows name the same customer (the lines of one order must).
    pub fn same_customer(&self, other: &CustomerKey) -> bool {
        (&self.external_id, &self.phone_normalized, &self.email, &self.name_key)
            == (&other.external_id, &other.phone_normalized, &other.email, &other.name_key)
    }

    /// The first column the row gives, in matching order: where "no match" is reported.
    pub fn first_column(&self) -> KeyColumn {
        if self.external_id.is_some() {
            KeyColumn::ExternalId
        } else if self.phone_normalized.is_some() {
            KeyColumn::Phone
        } else if self.email.is_some() {
            KeyColumn::Email
        } else {
            KeyColumn::Name
        }
    }
}

/// A live customer a key may mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub external_id: Option<String>,
    pub phone_normalized: Option<String>,
    pub email_normalized: Option<String>,
    pub name_key: String,
    pub currency: String,
}

/// How a row's customer was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Found(Candidate),
    /// Several customers the importer may see share the deciding key.
    Ambiguous(KeyColumn, u32),
    /// Only customers outside the importer's data scope have it.
    OutOfScope(KeyColumn),
    Nobody,
}

/// The customers looked up so far, by each key: the database's, and those the run creates.
#[derive(Default)]
pub struct CustomerIndex {
    by_external: HashMap<String, Vec<i64>>,
    by_phone: HashMap<String, Vec<i64>>,
    by_email: HashMap<String, Vec<i64>>,
    by_name: HashMap<String, Vec<i64>>,
    customers: HashMap<i64, Candidate>,
    /// Keys already looked up in the database (found or not), so a batch asks only for new ones.
    asked: HashSet<(u8, String)>,
}

impl CustomerIndex {
    pub fn add(&mut self, candidate: Candidate) {
        if self.customers.contains_key(&candidate.id) {
            return;
        }
        let id = candidate.id;
        if let Some(e) = &candidate.external_id {
            self.by_external.entry(e.clone()).or_default().push(id);
        }
        if let Some(p) = &candidate.phone_normalized {
            self.by_phone.entry(p.clone()).or_default().push(id);
        }
        if let Some(e) = &candidate.email_normalized {
            self.by_email.entry(e.clone()).or_default().push(id);
        }
        if !candidate.name_key.is_empty() {
            self.by_name.entry(candidate.name_key.clone()).or_default().push(id);
        }
        self.customers.insert(id, candidate);
    }

    /// Looks up, in one query, the customers of `keys` not asked for before.
    pub async fn look_up(
        &mut self,
        conn: &mut PgConnection,
        keys: &[&CustomerKey],
    ) -> Result<(), AppError> {
        let mut new = |kind: u8, value: &Option<String>, list: &mut Vec<String>| {
            if let Some(value) = value
                && self.asked.insert((kind, value.clone()))
            {
                list.push(value.clone());
            }
        };
        let (mut external, mut phones, mut emails, mut names) = (vec![], vec![], vec![], vec![]);
        for key in keys {
            new(0, &key.external_id, &mut external);
            new(1, &key.phone_normalized, &mut phones);
            new(2, &key.email, &mut emails);
            new(3, &key.name_key, &mut names);
        }
        if external.is_empty() && phones.is_empty() && emails.is_empty() && names.is_empty() {
            return Ok(());
        }
        let found = sqlx::query_as!(
            Candidate,
            "select id, owner_id, external_id, phone_normalized, email_normalized, name_key, currency
             from customer
             where deleted_at is null
               and (external_id = any($1) or phone_normalized = any($2)
                    or email_normalized = any($3) or name_key = any($4))",
            &external,
            &phones,
            &emails,
            &names,
        )
        .fetch_all(&mut *conn)
        .await?;
        for candidate in found {
            self.add(candidate);
        }
        Ok(())
    }

    /// The customer `key` means, as far as the importer may see.
    pub fn resolve(&self, key: &CustomerKey, scope: &DataScope) -> Resolved {
        resolve_among(&[self], key, scope)
    }

    fn ids(&self, column: KeyColumn, key: &CustomerKey) -> Option<&Vec<i64>> {
        match column {
            KeyColumn::ExternalId => key.external_id.as_ref().and_then(|k| self.by_external.get(k)),
            KeyColumn::Phone => key.phone_normalized.as_ref().and_then(|k| self.by_phone.get(k)),
            KeyColumn::Email => key.email.as_ref().and_then(|k| self.by_email.get(k)),
            KeyColumn::Name => key.name_key.as_ref().and_then(|k| self.by_name.get(k)),
        }
    }

    /// Customers this run created (or, in a check, would create).
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }
}

/// The customer `key` means among several indexes (the database's answers for a batch, and the
/// customers the run creates, which a batch decided while an earlier one is still being
/// written cannot find in the database yet).
pub fn resolve_among(indexes: &[&CustomerIndex], key: &CustomerKey, scope: &DataScope) -> Resolved {
    for column in [KeyColumn::ExternalId, KeyColumn::Phone, KeyColumn::Email, KeyColumn::Name] {
        let mut visible: Vec<&Candidate> = Vec::new();
        let mut any = false;
        for index in indexes {
            for id in index.ids(column, key).into_iter().flatten() {
                any = true;
                let Some(candidate) = index.customers.get(id) else { continue };
                if scope.can_see_owner(candidate.owner_id.map(UserId))
                    && !visible.iter().any(|c| c.id == candidate.id)
                {
                    visible.push(candidate);
                }
            }
        }
        if !any {
            continue;
        }
        return match visible.as_slice() {
            [] => Resolved::OutOfScope(column),
            [one] => Resolved::Found((*one).clone()),
            many => Resolved::Ambiguous(column, many.len() as u32),
        };
    }
    Resolved::Nobody
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::ScopeKind;

    fn candidate(id: i64, owner: i64, phone: &str, name: &str) -> Candidate {
        Candidate {
            id,
            owner_id: Some(owner),
            external_id: None,
            phone_normalized: Some(phone.into()),
            email_normalized: None,
            name_key: name_key(name),
            currency: "CNY".into(),
        }
    }

    #[test]
    fn keys_decide_in_order_and_never_guess() {
        let mut index = CustomerIndex::default();
        index.add(Candidate {
            external_id: Some("ERP-1".into()),
            ..candidate(1, 7, "13800000001", "甲公司")
        });
        index.add(candidate(2, 7, "13800000002", "乙公司"));
        index.add(candidate(3, 7, "13800000003", "乙公司"));
        index.add(candidate(4, 9, "13800000004", "丙公司"));
        let scope =
            |kind| DataScope { kind, user_id: UserId(7), team_id: None, team_member_ids: vec![] };
        let (all, own) = (scope(ScopeKind::All), scope(ScopeKind::Own));
        let key = |e: Option<&str>, p: Option<&str>, n: Option<&str>| {
            CustomerKey::read(e, p, None, n).unwrap()
        };
        // The external id wins over a phone that names someone else.
        let resolved = index.resolve(&key(Some("ERP-1"), Some("13800000002"), None), &all);
        assert!(matches!(resolved, Resolved::Found(c) if c.id == 1));
        // An unknown external id falls through to the phone.
        let resolved = index.resolve(&key(Some("ERP-404"), Some("138 0000 0002"), None), &all);
        assert!(matches!(resolved, Resolved::Found(c) if c.id == 2));
        // Two customers share the name: no guess.
        assert_eq!(
            index.resolve(&key(None, None, Some("乙公司")), &all),
            Resolved::Ambiguous(KeyColumn::Name, 2)
        );
        // Someone else's customer is out of scope, not found.
        assert_eq!(
            index.resolve(&key(None, Some("13800000004"), None), &own),
            Resolved::OutOfScope(KeyColumn::Phone)
        );
        assert_eq!(index.resolve(&key(None, Some("13900000000"), None), &all), Resolved::Nobody);
        assert_eq!(
            CustomerKey::read(None, Some("call me"), None, None),
            Err((KeyColumn::Phone, FieldError::InvalidPhone))
        );
    }
}
