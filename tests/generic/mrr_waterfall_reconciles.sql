{#- The MRR waterfall identity, per row:
    starting + new + expansion + reactivation - contraction - churned
    + fx impact = ending, and the same for the customer counts. -#}
{% test mrr_waterfall_reconciles(model, group_by=[]) %}
    select *
    from {{ model }}
    where
        starting_mrr + new_mrr + expansion_mrr + reactivation_mrr
        - contraction_mrr - churned_mrr + fx_impact_mrr != ending_mrr
        or customers_start + new_customers + reactivated_customers - churned_customers
        != customers_end
        or net_new_mrr != ending_mrr - starting_mrr
{% endtest %}
