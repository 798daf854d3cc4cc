{#-
    The raw data contract of docs/landing-contract.md as data: for every landing table its
    primary key, whether the table is optional, and per column the type it is
    parsed to and whether a value is required. The base models and the landing
    file reader are generated from this one place.

    Types: string, code (trimmed, lower case), upper_code (trimmed, upper case),
    timestamp (ISO-8601; naive = UTC), date, money (decimal(18,2)),
    number (double), integer.

    `keeps`: missing-value tokens (var missing_value_tokens) that are a real
    value in this column and stay as they are (country: NA is Namibia).
-#}
{% macro raw_contract() %}
    {% set contract = {
        "customers": {
            "optional": false,
            "key": ["customer_id"],
            "columns": [
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "created_at", "type": "timestamp", "required": true},
                {"name": "company_name", "type": "string"},
                {"name": "country", "type": "upper_code", "keeps": ["NA"]},
                {"name": "segment", "type": "code"},
                {"name": "acquisition_channel", "type": "code"},
            ],
        },
        "plans": {
            "optional": false,
            "key": ["plan_id"],
            "columns": [
                {"name": "plan_id", "type": "string", "required": true},
                {"name": "plan_name", "type": "string"},
                {"name": "tier", "type": "code"},
                {"name": "billing_interval", "type": "code", "required": true,
                 "accepted": ["month", "quarter", "year"]},
                {"name": "list_price", "type": "money", "non_negative": true},
                {"name": "currency", "type": "upper_code", "required": true},
            ],
        },
        "subscriptions": {
            "optional": false,
            "key": ["subscription_id", "period_start"],
            "columns": [
                {"name": "subscription_id", "type": "string", "required": true},
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "plan_id", "type": "string", "required": true},
                {"name": "billing_interval", "type": "code",
                 "accepted": ["month", "quarter", "year"]},
                {"name": "amount", "type": "money", "required": true, "non_negative": true},
                {"name": "quantity", "type": "integer", "positive": true},
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "status", "type": "code", "required": true,
                 "accepted": ["trialing", "active", "past_due", "paused", "canceled"]},
                {"name": "period_start", "type": "timestamp", "required": true},
                {"name": "period_end", "type": "timestamp"},
                {"name": "cancel_reason", "type": "code"},
                {"name": "canceled_at", "type": "timestamp"},
                {"name": "cancel_at", "type": "timestamp"},
                {"name": "list_amount", "type": "money", "non_negative": true},
            ],
        },
        "invoices": {
            "optional": false,
            "key": ["invoice_id"],
            "columns": [
                {"name": "invoice_id", "type": "string", "required": true},
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "subscription_id", "type": "string"},
                {"name": "issued_at", "type": "timestamp", "required": true},
                {"name": "period_start", "type": "timestamp"},
                {"name": "period_end", "type": "timestamp"},
                {"name": "amount_due", "type": "money", "required": true, "non_negative": true},
                {"name": "amount_paid", "type": "money", "non_negative": true},
                {"name": "amount_refunded", "type": "money", "non_negative": true},
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "status", "type": "code", "required": true,
                 "accepted": ["paid", "open", "failed", "void", "uncollectible"]},
                {"name": "attempt_count", "type": "integer", "non_negative": true},
                {"name": "paid_at", "type": "timestamp"},
            ],
        },
        "events": {
            "optional": false,
            "key": ["event_id"],
            "columns": [
                {"name": "event_id", "type": "string", "required": true},
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "user_id", "type": "string"},
                {"name": "event_name", "type": "code", "required": true},
                {"name": "occurred_at", "type": "timestamp", "required": true},
                {"name": "duration_seconds", "type": "number", "non_negative": true},
                {"name": "feature", "type": "code"},
            ],
        },
        "fx_rates": {
            "optional": true,
            "key": ["currency", "rate_date"],
            "columns": [
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "rate_date", "type": "date", "required": true},
                {"name": "rate_to_reporting", "type": "number", "required": true, "positive": true},
            ],
        },
        "marketing_spend": {
            "optional": true,
            "key": ["month", "acquisition_channel"],
            "columns": [
                {"name": "month", "type": "date", "required": true},
                {"name": "acquisition_channel", "type": "code", "required": true},
                {"name": "amount", "type": "money", "required": true, "non_negative": true},
            ],
        },
    } %}
    {{ return(contract) }}
{% endmacro %}
