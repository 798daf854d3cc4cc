-- Customer lifetime value (docs/definitions.md), one row per customer who ever paid.
-- Realized: what the customer paid minus refunds (reporting currency) and
-- the gross profit of it at var gross_margin. Projected: current MRR x gross
-- margin x the discounted expected number of further paid months from the
-- sBG fit of the customer's segment (the whole business' fit when the
-- segment's is degenerate: no churn seen, or everyone lost at once),
-- conditioned on the months survived in the current paying run. A churned
-- customer (no MRR now) has no expected remaining value: reactivations are
-- not forecast.
with cohort_customers as (
    select * from {{ ref('int_cohort_customers') }}
),

revenue as (
    select * from {{ ref('int_customer_revenue') }}
),

fits as (
    select * from {{ ref('int_sbg_fit') }}
),

expected_lifetimes as (
    select * from {{ ref('int_sbg_expected_lifetime') }}
),

usable_fits as (
    select segment
    from fits
    where not is_degenerate
),

customers as (
    select
        cohort_customers.*,
        case
            when usable_fits.segment is not null then cohort_customers.segment else 'all'
        end as fit_segment
    from cohort_customers
    left join usable_fits
        on cohort_customers.segment = usable_fits.segment
),

valued as (
    select
        customers.customer_id,
        customers.segment,
        customers.acquisition_channel,
        customers.cohort_month,
        customers.is_active,
        customers.paid_months,
        customers.current_run_age_months,
        coalesce(revenue.amount_paid, 0) as amount_paid,
        coalesce(revenue.amount_refunded, 0) as amount_refunded,
        coalesce(revenue.amount_paid, 0) - coalesce(revenue.amount_refunded, 0) as realized_revenue,
        customers.current_mrr,
        customers.fit_segment,
        case
            when customers.is_active then expected_lifetimes.expected_remaining_months else 0
        end as expected_remaining_months
    from customers
    left join revenue
        on customers.customer_id = revenue.customer_id
    left join expected_lifetimes
        on
            customers.fit_segment = expected_lifetimes.segment
            and customers.current_run_age_months = expected_lifetimes.age_months
),

final as (
    select
        customer_id,
        segment,
        acquisition_channel,
        cohort_month,
        is_active,
        cast(paid_months as {{ dbt.type_int() }}) as tenure_months,
        cast(current_run_age_months as {{ dbt.type_int() }}) as current_run_age_months,
        cast(amount_paid as decimal(18, 2)) as amount_paid,
        cast(amount_refunded as decimal(18, 2)) as amount_refunded,
        cast(realized_revenue as decimal(18, 2)) as realized_revenue,
        {{ round_money('realized_revenue * ' ~ var('gross_margin')) }} as realized_gross_profit,
        current_mrr,
        fit_segment,
        cast(round(expected_remaining_months, 4) as {{ type_double() }}) as expected_remaining_months,
        {{ round_money('current_mrr * ' ~ var('gross_margin') ~ ' * expected_remaining_months') }}
            as expected_remaining_gross_profit,
        -- The sum of two decimal(18, 2) is decimal(19, 2) on some engines (Spark).
        cast(
            {{ round_money('realized_revenue * ' ~ var('gross_margin')) }}
            + {{ round_money('current_mrr * ' ~ var('gross_margin') ~ ' * expected_remaining_months') }}
            as decimal(18, 2)
        ) as projected_clv
    from valued
)

select * from final
