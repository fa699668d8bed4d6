package org.caravan.delivery;

import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Marks a delivery stage's ledger entries done when its exchange (its broker transaction) has
 * completed: from then on the broker will not hand the message out again, so the entries have
 * served. A crash before that leaves them pending for the redelivery to find.
 */
public final class LedgerCompletion {
    private LedgerCompletion() {
    }

    public static void onComplete(Exchange exchange, DeliveryLedger ledger, String queueId, List<String> recipients) {
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                ledger.completed(queueId, recipients);
            }
        });
    }
}
