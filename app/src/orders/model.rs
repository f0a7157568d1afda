//! The product catalogue and orders with line items.

use crate::{
    auth::model::id_type,
    customers::model::{CustomerId, Money},
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

id_type!(
    /// A product in the catalogue.
    ProductId
);
id_type!(
    /// An order.
    OrderId
);

/// A product as listed and chosen on order lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    /// The id in the shop or ERP the catalogue came from.
    #[serde(default)]
    pub external_id: Option<String>,
    pub name: String,
    pub category: Option<String>,
    pub unit_price: Money,
    pub active: bool,
    pub version: i32,
}

/// The product form (admins).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInput {
    pub id: Option<ProductId>,
    pub version: i32,
    pub sku: String,
    #[serde(default)]
    pub external_id: String,
    pub name: String,
    pub category: String,
    /// As typed, e.g. "1280.00".
    pub unit_price: String,
    pub active: bool,
}

/// A validated product.
pub struct ValidProduct {
    pub sku: String,
    pub external_id: Option<String>,
    pub name: String,
    pub category: Option<String>,
    pub unit_price_minor: i64,
    pub active: bool,
}

impl ProductInput {
    pub fn validate(&self) -> Result<ValidProduct, AppError> {
        let mut errors = FieldErrors::new();
        let sku = self.sku.trim();
        if sku.is_empty() {
            errors.add("sku", FieldError::Required);
        } else if sku.chars().count() > 40 {
            errors.add("sku", FieldError::TooLong { max: 40 });
        }
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", FieldError::Required);
        } else if name.chars().count() > 200 {
            errors.add("name", FieldError::TooLong { max: 200 });
        }
        let price =
            errors.check("unit_price", crate::customers::model::parse_money(&self.unit_price));
        let external_id = self.external_id.trim();
        if external_id.chars().count() > 100 {
            errors.add("external_id", FieldError::TooLong { max: 100 });
        }
        errors.into_result()?;
        Ok(ValidProduct {
            sku: sku.to_owned(),
            external_id: Some(external_id.to_owned()).filter(|e| !e.is_empty()),
            name: name.to_owned(),
            category: Some(self.category.trim().to_owned()).filter(|c| !c.is_empty()),
            unit_price_minor: price.unwrap_or_default(),
            active: self.active,
        })
    }
}

/// How an order came in.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    Store,
    #[default]
    Sales,
    Phone,
    Wechat,
    Distributor,
    Other,
}

text_enum!(Channel {
    Online => "online", Store => "store", Sales => "sales", Phone => "phone",
    Wechat => "wechat", Distributor => "distributor", Other => "other",
});

/// Whether an order still counts. A partly refunded order is still placed, counting for what
/// was not refunded; a cancelled or fully refunded one no longer counts at all.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    #[default]
    Placed,
    Cancelled,
    Refunded,
}

text_enum!(OrderStatus {
    Placed => "placed", Cancelled => "cancelled", Refunded => "refunded",
});

/// One line of the order form. An empty price takes the catalogue price.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineInput {
    pub product_id: Option<ProductId>,
    pub quantity: String,
    pub unit_price: String,
}

/// The add-order form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInput {
    pub customer_id: CustomerId,
    /// Blank: a number is assigned.
    pub order_no: String,
    /// Blank: now.
    pub ordered_at: Option<DateTime<Utc>>,
    pub channel: Channel,
    pub lines: Vec<OrderLineInput>,
    pub notes: String,
}

/// A validated line: catalogue prices are filled in by the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidLine {
    pub product_id: ProductId,
    pub quantity: i32,
    pub unit_price_minor: Option<i64>,
}

/// The most lines one order may have.
pub const MAX_LINES: usize = 100;

/// Checks the lines (`lines.N.quantity` etc. in errors), the number and the notes.
pub fn validate_order(input: &OrderInput) -> Result<Vec<ValidLine>, AppError> {
    let mut errors = FieldErrors::new();
    if input.lines.is_empty() {
        errors.add("lines", FieldError::Empty);
    }
    if input.lines.len() > MAX_LINES {
        errors.add("lines", FieldError::TooMany { max: MAX_LINES as u32 });
    }
    if input.order_no.trim().chars().count() > 40 {
        errors.add("order_no", FieldError::TooLong { max: 40 });
    }
    if input.notes.trim().chars().count() > 2000 {
        errors.add("notes", FieldError::TooLong { max: 2000 });
    }
    let mut lines = Vec::new();
    for (n, line) in input.lines.iter().enumerate() {
        let field = |name: &str| format!("lines.{n}.{name}");
        let product =
            errors.check(&field("product_id"), line.product_id.ok_or(FieldError::Required));
        let quantity = match line.quantity.trim().parse::<i32>() {
            Ok(q) if (1..=1_000_000).contains(&q) => Some(q),
            Ok(_) => {
                errors.add(&field("quantity"), FieldError::OutOfRange { min: 1, max: 1_000_000 });
                None
            }
            Err(_) => {
                errors.add(&field("quantity"), FieldError::InvalidNumber);
                None
            }
        };
        let price = if line.unit_price.trim().is_empty() {
            Some(None)
        } else {
            errors
                .check(&field("unit_price"), crate::customers::model::parse_money(&line.unit_price))
                .map(Some)
        };
        if let (Some(product_id), Some(quantity), Some(unit_price_minor)) =
            (product, quantity, price)
        {
            lines.push(ValidLine { product_id, quantity, unit_price_minor });
        }
    }
    errors.into_result()?;
    Ok(lines)
}

/// An order line as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub product_name: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub line_total: Money,
}

/// An order with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub order_no: String,
    /// The id in the shop or ERP it came from.
    #[serde(default)]
    pub external_id: Option<String>,
    pub ordered_at: DateTime<Utc>,
    pub channel: Channel,
    pub total: Money,
    pub notes: Option<String>,
    pub lines: Vec<OrderLine>,
    pub created_by_name: Option<String>,
    pub status: OrderStatus,
    /// What was refunded so far (zero when nothing was).
    pub refunded: Money,
    pub cancel_reason: Option<String>,
    pub refunds: Vec<OrderRefund>,
    /// The version corrections, cancellations and refunds are checked against.
    pub version: i32,
}

impl Order {
    /// What is left to refund of a placed order.
    pub fn refundable(&self) -> Money {
        Money {
            minor: self.total.minor - self.refunded.minor,
            currency: self.total.currency.clone(),
        }
    }

    /// The order as its correction form starts: the lines as they are, prices as charged.
    pub fn correction_input(&self) -> OrderInput {
        OrderInput {
            customer_id: self.customer_id,
            order_no: self.order_no.clone(),
            ordered_at: Some(self.ordered_at),
            channel: self.channel,
            lines: self
                .lines
                .iter()
                .map(|l| OrderLineInput {
                    product_id: Some(l.product_id),
                    quantity: l.quantity.to_string(),
                    unit_price: crate::customers::model::money_text(l.unit_price.minor),
                })
                .collect(),
            notes: self.notes.clone().unwrap_or_default(),
        }
    }
}

/// One refund of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRefund {
    pub amount: Money,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by_name: Option<String>,
}

/// The most characters a cancellation or refund reason may have.
pub const MAX_REASON: usize = 500;

/// A cancellation's or refund's reason: required, trimmed, not too long.
pub fn validate_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation("reason", FieldError::Required));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(AppError::validation("reason", FieldError::TooLong { max: MAX_REASON as u32 }));
    }
    Ok(reason.to_owned())
}

/// A product recommended for a customer, with how many customers support it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub product: Product,
    /// Customers who bought one of this customer's products and also this one.
    pub support: i64,
}

/// A fresh order number: date and a random suffix, e.g. `SO-20261122-4F7K2Q`.
pub fn new_order_no(now: DateTime<Utc>, random: u32) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut suffix = String::new();
    let mut n = random;
    for _ in 0..6 {
        suffix.push(ALPHABET[(n % 32) as usize] as char);
        n /= 32;
    }
    format!("SO-{}-{suffix}", now.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lines_are_checked_one_by_one() {
        let input = OrderInput {
            lines: vec![
                OrderLineInput {
                    product_id: Some(ProductId(1)),
                    quantity: "2".into(),
                    unit_price: "".into(),
                },
                OrderLineInput { product_id: None, quantity: "0".into(), unit_price: "abc".into() },
            ],
            ..Default::default()
        };
        let error = validate_order(&input).unwrap_err();
        let fields = error.field_errors().unwrap();
        assert_eq!(fields.get("lines.1.product_id"), &[FieldError::Required]);
        assert_eq!(
            fields.get("lines.1.quantity"),
            &[FieldError::OutOfRange { min: 1, max: 1_000_000 }]
        );
        assert_eq!(fields.get("lines.1.unit_price"), &[FieldError::InvalidNumber]);
        assert!(fields.get("lines.0.quantity").is_empty());

        let empty = validate_order(&OrderInput::default()).unwrap_err();
        assert_eq!(empty.field_errors().unwrap().get("lines"), &[FieldError::Empty]);
    }

    #[test]
    fn order_numbers_carry_the_date_and_are_unambiguous() {
        let no = new_order_no(DateTime::from_timestamp(1_795_000_000, 0).unwrap(), 123_456_789);
        assert!(no.starts_with("SO-2026"), "{no}");
        assert_eq!(no.len(), "SO-20261122-XXXXXX".len());
        assert!(!no[12..].contains(['0', 'O', '1', 'I']));
    }
}
