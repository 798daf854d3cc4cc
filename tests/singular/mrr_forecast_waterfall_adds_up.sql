-- mrr_forecast: each forecast month's expected MRR and customers follow from
-- the month before (the origin month for the first) by the month's expected
-- movements: MRR = before - churned + net expansion + new, customers =
-- before - churned + new. Rows off by more than rounding (a cent per term,
-- 0.01 customer per term) are returned.
with forecast as (
    select
        segment,
        months_ahead,
        expected_mrr,
        expected_customers,
        expected_churned_mrr,
        expected_net_expansion_mrr,
        expected_new_mrr,
        expected_churned_customers,
        expected_new_customers,
        coalesce(
            lag(expected_mrr) over (partition by segment order by months_ahead), starting_mrr
        ) as mrr_before,
        coalesce(
            lag(expected_customers) over (partition by segment order by months_ahead), starting_customers
        ) as customers_before
    from {{ ref('mrr_forecast') }}
)

select *
from forecast
where
    abs(mrr_before - expected_churned_mrr + expected_net_expansion_mrr + expected_new_mrr - expected_mrr) > 0.05
    or abs(customers_before - expected_churned_customers + expected_new_customers - expected_customers) > 0.05
