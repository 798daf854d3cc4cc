{#-
    The Stripe path (docs/stripe.md): with the var source_system = stripe,
    staging reads Stripe's objects (files named after them, Fivetran's column
    names) instead of the contract's customers / plans / subscriptions /
    invoices files. events, fx_rates and marketing_spend stay contract files.

    stripe_contract(): the Stripe files as data, in the same shape as
    raw_contract() (key, optional, columns with type / required / accepted),
    so the landing reader, the typing and the generic row checks of the
    contract path read them unchanged. Amounts are integers (minor units).
    Prices come from `price`, or, when there is no price file, from the
    legacy `plan` object (stripe_price_object()).
-#}
{% macro stripe_contract() %}
    {% set contract = {
        "customer": {
            "optional": false,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "created", "type": "timestamp", "required": true},
                {"name": "name", "type": "string"},
                {"name": "description", "type": "string"},
                {"name": "address_country", "type": "upper_code", "keeps": ["NA"]},
                {"name": "is_deleted", "type": "boolean"},
                {"name": "livemode", "type": "boolean"},
            ],
        },
        "price": {
            "optional": true,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "product_id", "type": "string"},
                {"name": "nickname", "type": "string"},
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "unit_amount", "type": "integer", "non_negative": true},
                {"name": "recurring_interval", "type": "code",
                 "accepted": ["day", "week", "month", "year"]},
                {"name": "recurring_interval_count", "type": "integer", "positive": true},
                {"name": "type", "type": "code", "accepted": ["recurring", "one_time"]},
                {"name": "recurring_usage_type", "type": "code", "accepted": ["licensed", "metered"]},
                {"name": "billing_scheme", "type": "code", "accepted": ["per_unit", "tiered"]},
                {"name": "livemode", "type": "boolean"},
            ],
        },
        "plan": {
            "optional": true,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "product_id", "type": "string"},
                {"name": "nickname", "type": "string"},
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "amount", "type": "integer", "non_negative": true},
                {"name": "plan_interval", "file_name": "interval", "type": "code",
                 "accepted": ["day", "week", "month", "year"]},
                {"name": "interval_count", "type": "integer", "positive": true},
                {"name": "usage_type", "type": "code", "accepted": ["licensed", "metered"]},
                {"name": "billing_scheme", "type": "code", "accepted": ["per_unit", "tiered"]},
                {"name": "livemode", "type": "boolean"},
            ],
        },
        "product": {
            "optional": true,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "name", "type": "string"},
                {"name": "livemode", "type": "boolean"},
            ],
        },
        "subscription": {
            "optional": false,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "status", "type": "code", "required": true,
                 "accepted": ["incomplete", "incomplete_expired", "trialing", "active", "past_due",
                              "unpaid", "paused", "canceled"]},
                {"name": "created", "type": "timestamp"},
                {"name": "start_date", "type": "timestamp", "required": true},
                {"name": "current_period_start", "type": "timestamp"},
                {"name": "current_period_end", "type": "timestamp"},
                {"name": "trial_start", "type": "timestamp"},
                {"name": "trial_end", "type": "timestamp"},
                {"name": "cancel_at_period_end", "type": "boolean"},
                {"name": "cancel_at", "type": "timestamp"},
                {"name": "canceled_at", "type": "timestamp"},
                {"name": "ended_at", "type": "timestamp"},
                {"name": "cancellation_details_reason", "type": "code"},
                {"name": "cancellation_details_feedback", "type": "code"},
                {"name": "livemode", "type": "boolean"},
            ],
        },
        "subscription_item": {
            "optional": false,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "subscription_id", "type": "string", "required": true},
                {"name": "price_id", "type": "string"},
                {"name": "plan_id", "type": "string"},
                {"name": "quantity", "type": "integer", "non_negative": true},
            ],
        },
        "invoice": {
            "optional": false,
            "key": ["id"],
            "columns": [
                {"name": "id", "type": "string", "required": true},
                {"name": "customer_id", "type": "string", "required": true},
                {"name": "subscription_id", "type": "string"},
                {"name": "created", "type": "timestamp", "required": true},
                {"name": "period_start", "type": "timestamp"},
                {"name": "period_end", "type": "timestamp"},
                {"name": "amount_due", "type": "integer", "required": true, "non_negative": true},
                {"name": "amount_paid", "type": "integer", "non_negative": true},
                {"name": "currency", "type": "upper_code", "required": true},
                {"name": "status", "type": "code", "required": true,
                 "accepted": ["draft", "open", "paid", "void", "uncollectible"]},
                {"name": "attempt_count", "type": "integer", "non_negative": true},
                {"name": "status_transitions_paid_at", "type": "timestamp"},
                {"name": "livemode", "type": "boolean"},
            ],
        },
    } %}
    {{ return(contract) }}
{% endmacro %}


{#- The var source_system: 'contract' (default) or 'stripe' (validated in
    validate_vars.sql). -#}
{% macro source_system() %}
    {{ return(var('source_system', 'contract') | string | trim | lower) }}
{% endmacro %}


{#- The spec of a landing file: a contract table, else a Stripe object. -#}
{% macro landing_spec(table_name) %}
    {%- set contract = raw_contract() -%}
    {%- if table_name == 'events' and source_system() == 'stripe' -%}
        {#- Stripe has no product usage: a Stripe export may come without it. -#}
        {%- set events = contract['events'].copy() -%}
        {%- do events.update({'optional': true}) -%}
        {{ return(events) }}
    {%- endif -%}
    {%- if table_name in contract -%}
        {{ return(contract[table_name]) }}
    {%- endif -%}
    {{ return(stripe_contract()[table_name]) }}
{% endmacro %}


{#- The Stripe object prices are read from: 'price', or 'plan' (the legacy
    object) when there is no price file; neither stops the build with one
    line. -#}
{% macro stripe_price_object() %}
    {%- if not execute -%}
        {{ return('price') }}
    {%- endif -%}
    {%- for object in ['price', 'plan'] -%}
        {%- if landing_file_found(object) -%}
            {{ return(object) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "Landing data: neither price.csv nor plan.csv (or .parquet) found in " ~ raw_data_dir()
        ~ "; the Stripe path (source_system: stripe) needs Stripe's prices (docs/stripe.md).") }}
{% endmacro %}


{#- Whether raw_data_dir holds a landing file of a table (CSV or Parquet). -#}
{% macro landing_file_found(table_name) %}
    {{ return(adapter.dispatch('landing_file_found', 'subscription_metrics')(table_name)) }}
{% endmacro %}

{% macro duckdb__landing_file_found(table_name) %}
    {{ return(duckdb__landing_file(table_name) is not none) }}
{% endmacro %}

{% macro spark__landing_file_found(table_name) %}
    {{ return(spark_landing_file(table_name) is not none) }}
{% endmacro %}


{#- The landing tables staging reads, in order, for the source system:
    [{'table': landing file, 'base': the model holding its rows' verdicts}].
    Events are read from base_event_exceptions (see quarantined_rows). -#}
{% macro landing_tables() %}
    {%- if source_system() == 'stripe' -%}
        {%- set tables = [
            {'table': 'customer', 'base': 'base_stripe_customer'},
            {'table': stripe_price_object(), 'base': 'base_stripe_price'},
            {'table': 'product', 'base': 'base_stripe_product'},
            {'table': 'subscription', 'base': 'base_stripe_subscription'},
            {'table': 'subscription_item', 'base': 'stripe_subscription_items'},
            {'table': 'invoice', 'base': 'base_stripe_invoice'},
        ] -%}
    {%- else -%}
        {%- set tables = [
            {'table': 'customers', 'base': 'base_customers'},
            {'table': 'plans', 'base': 'base_plans'},
            {'table': 'subscriptions', 'base': 'base_subscriptions'},
            {'table': 'invoices', 'base': 'base_invoices'},
        ] -%}
    {%- endif -%}
    {%- do tables.extend([
        {'table': 'events', 'base': 'base_event_exceptions'},
        {'table': 'fx_rates', 'base': 'base_fx_rates'},
        {'table': 'marketing_spend', 'base': 'base_marketing_spend'},
    ]) -%}
    {{ return(tables) }}
{% endmacro %}


{#- The number of minor units in one unit of a currency (an upper-case
    currency code expression): Stripe's zero-decimal currencies 1, its
    three-decimal currencies 1000, every other 100. -#}
{% macro stripe_minor_units(currency) -%}
    case
        when {{ currency }} in ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF',
                                'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') then 1
        when {{ currency }} in ('BHD', 'JOD', 'KWD', 'OMR', 'TND') then 1000
        else 100
    end
{%- endmacro %}


{#- A Stripe amount (integer, minor units) as money in the currency. -#}
{% macro stripe_money(amount, currency) -%}
    cast(cast({{ amount }} as decimal(38, 6)) / {{ stripe_minor_units(currency) }} as decimal(18, 2))
{%- endmacro %}


{#- The contract billing_interval of a Stripe interval and count: month x1
    = month, month x3 = quarter, year x1 or month x12 = year, any other =
    month (the price normalised to one month, stripe_price_per_interval). -#}
{% macro stripe_billing_interval(interval, interval_count) -%}
    case
        when {{ interval }} = 'month' and {{ interval_count }} = 3 then 'quarter'
        when {{ interval }} = 'year' and {{ interval_count }} = 1 then 'year'
        when {{ interval }} = 'month' and {{ interval_count }} = 12 then 'year'
        when {{ interval }} is not null then 'month'
    end
{%- endmacro %}


{#- A price per Stripe interval (money) as the price per the contract
    billing_interval above: unchanged for month x1, month x3, year x1 and
    month x12; else normalised to one month (n months / n, n years / 12n,
    n weeks x 52 / 12n, n days x 365 / 12n) and rounded to the cent. -#}
{% macro stripe_price_per_interval(price, interval, interval_count) -%}
    case
        when ({{ interval }} = 'month' and {{ interval_count }} in (1, 3, 12))
            or ({{ interval }} = 'year' and {{ interval_count }} = 1)
            then cast({{ price }} as decimal(18, 2))
        else {{ round_money(
            'cast(' ~ price ~ ' as decimal(38, 6)) * case ' ~ interval
            ~ " when 'month' then 1 when 'year' then 1 when 'week' then 52 when 'day' then 365 end"
            ~ ' / (case ' ~ interval ~ " when 'month' then 1 else 12 end * " ~ interval_count ~ ')') }}
    end
{%- endmacro %}
