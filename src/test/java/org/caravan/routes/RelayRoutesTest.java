package org.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.component.stub.StubComponent;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.RecipientNotice;
import org.caravan.relay.AttemptOutcome;
import org.caravan.nexthop.Gateway;
import org.caravan.relay.RelayStage;
import org.caravan.retry.RetrySchedule;
import org.caravan.retry.RetryScheduler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay stage's routing, with Camel Test: the real routes/relay.camel.yaml and
 * routes/errors.camel.yaml, the broker replaced by in-memory stub queues, the attempt by a bean
 * that answers a chosen {@link AttemptOutcome}, the notice stages and the deferred queue by mocks;
 * the retry bean is the real one, at a fixed clock. Each
 * outcome takes its branches and no other; the crash-loop guard stops a message before any
 * attempt. (RetryAndBounceTest and the crash tests run the same routes with a real broker.)
 */
class RelayRoutesTest extends CamelTestSupport {
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final RetrySchedule SCHEDULE = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));
    private static final RecipientNotice NOTICE = new RecipientNotice("a@far.test", "5.1.1", "mx.far.test", "550 no");
    private static final RecipientNotice DEFERRED = new RecipientNotice("a@far.test", "4.3.0", "mx.far.test", "451 later");

    /** Stands in for relayStage: answers the outcome the test chose, and counts attempts. */
    public static final class ScriptedAttempt {
        volatile AttemptOutcome next;
        // Atomic: the relay and deferred queues' consumers attempt on their own threads at once.
        final AtomicInteger attempts = new AtomicInteger();

        public AttemptOutcome deliver(Exchange exchange) {
            int count = attempts.incrementAndGet();
            // As RelayStage does: the attempt count, and the outcomes per recipient.
            exchange.getMessage().setHeader(EnvelopeHeaders.ATTEMPTS, count);
            RelayStage.publish(exchange, next);
            return next;
        }
    }

    /** Stands in for gatewayStage: gw.test goes to a gateway, whose attempts answer like relayStage's. */
    public static final class ScriptedGateway {
        final ScriptedAttempt outcomes;
        final AtomicInteger attempts = new AtomicInteger();

        ScriptedGateway(ScriptedAttempt outcomes) {
            this.outcomes = outcomes;
        }

        public Gateway gatewayOf(Exchange exchange) {
            return "gw.test".equals(exchange.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP))
                    ? new Gateway("orders", null, Gateway.Format.MIME, 0) : null;
        }

        public AttemptOutcome deliver(Exchange exchange) {
            attempts.incrementAndGet();
            RelayStage.publish(exchange, outcomes.next);
            return outcomes.next;
        }
    }

    private final ScriptedAttempt attempt = new ScriptedAttempt();
    private final ScriptedGateway gateway = new ScriptedGateway(attempt);
    private MockEndpoint retry;
    private MockEndpoint bounce;
    private MockEndpoint delayWarning;
    private MockEndpoint success;
    private MockEndpoint dead;

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        Properties p = new Properties();
        p.setProperty("caravan.relay.concurrency", "1");
        p.setProperty("caravan.queue.max-deliveries", "5");
        context.getPropertiesComponent().setInitialProperties(p);
        context.addComponent("jms", new StubComponent()); // in-memory queues, any parameters
        context.getShutdownStrategy().setTimeout(2);
        context.getRegistry().bind("relayStage", attempt);
        context.getRegistry().bind("gatewayStage", gateway);
        context.getRegistry().bind("retryScheduler", new RetryScheduler(SCHEDULE, Clock.fixed(NOW, ZoneOffset.UTC)));
        return context;
    }

    @BeforeEach
    void loadTheRealRouteFiles() throws Exception {
        for (String file : List.of("errors.camel.yaml", "relay.camel.yaml", "gateway.camel.yaml")) {
            PluginHelper.getRoutesLoader(context).loadRoutes(
                    ResourceHelper.resolveResource(context, "file:" + Path.of("routes", file)));
        }
        AdviceWith.adviceWith(context, "deliver-remote", a -> {
            a.weaveByToUri("direct:bounce").replace().to("mock:bounce");
            a.weaveByToUri("direct:delay-warning").replace().to("mock:delay-warning");
            a.weaveByToUri("direct:success-notice").replace().to("mock:success");
        });
        AdviceWith.adviceWith(context, "schedule-retry",
                a -> a.weaveByToUri("jms:queue:caravan.deferred").replace().to("mock:retry"));
        AdviceWith.adviceWith(context, "crash-loop-guard",
                a -> a.weaveByToUri("jms:queue:caravan.dead").replace().to("mock:dead"));
        context.start();
        retry = getMockEndpoint("mock:retry");
        bounce = getMockEndpoint("mock:bounce");
        delayWarning = getMockEndpoint("mock:delay-warning");
        success = getMockEndpoint("mock:success");
        dead = getMockEndpoint("mock:dead");
        for (MockEndpoint m : List.of(retry, bounce, delayWarning, success, dead)) {
            m.setSleepForEmptyTest(0); // sends to direct: are synchronous, all branches have run on return
        }
    }

    private static AttemptOutcome outcome(boolean retries, boolean failures, boolean delays, boolean successes) {
        return new AttemptOutcome(successes ? List.of(NOTICE) : List.of(), retries ? List.of(DEFERRED) : List.of(),
                delays ? List.of(NOTICE) : List.of(), failures ? List.of(NOTICE) : List.of());
    }

    private void expect(int retries, int bounces, int warnings, int successes, int deadLetters) {
        retry.expectedMessageCount(retries);
        bounce.expectedMessageCount(bounces);
        delayWarning.expectedMessageCount(warnings);
        success.expectedMessageCount(successes);
        dead.expectedMessageCount(deadLetters);
    }

    @Test
    void everythingDeliveredTakesNoBranch() throws Exception {
        attempt.next = outcome(false, false, false, false);
        expect(0, 0, 0, 0, 0);
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(attempt.attempts.get()).isEqualTo(1);
    }

    @Test
    void aDomainWithAGatewayIsAttemptedThroughItAndTakesTheSameBranches() throws Exception {
        attempt.next = outcome(true, true, false, false);
        expect(1, 1, 0, 0, 0);
        template.sendBodyAndHeader("direct:deliver-remote", "content", EnvelopeHeaders.NEXT_HOP, "gw.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(gateway.attempts.get()).isEqualTo(1);
        assertThat(attempt.attempts.get()).as("no SMTP attempt").isZero();
    }

    @Test
    void aTemporaryFailureIsScheduledForRetryOnly() throws Exception {
        attempt.next = outcome(true, false, false, false);
        expect(1, 0, 0, 0, 0);
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void theRetryIsHeldBackUntilItsBackoffHasPassed() throws Exception {
        attempt.next = outcome(true, false, false, false);
        expect(1, 0, 0, 0, 0);
        retry.expectedHeaderReceived(EnvelopeHeaders.RECIPIENTS, "a@far.test");
        retry.expectedHeaderReceived(EnvelopeHeaders.LAST_ERROR, "<a@far.test>: 451 later");
        retry.expectedHeaderReceived(EnvelopeHeaders.ARTEMIS_SCHEDULED_DELIVERY, NOW.plus(Duration.ofMinutes(5)).toEpochMilli());
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aPermanentFailureIsBouncedOnly() throws Exception {
        attempt.next = outcome(false, true, false, false);
        expect(0, 1, 0, 0, 0);
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aLongDelayIsRetriedAndWarnedAbout() throws Exception {
        attempt.next = outcome(true, false, true, false);
        expect(1, 0, 1, 0, 0);
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aRelayedRecipientOfANotifySuccessSenderGetsItsNotice() throws Exception {
        attempt.next = outcome(false, false, false, true);
        expect(0, 0, 0, 1, 0);
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aMixedOutcomeTakesEveryBranchItNamesWithItsOwnCopyOfTheMessage() throws Exception {
        attempt.next = outcome(true, true, true, true);
        expect(1, 1, 1, 1, 0);
        retry.expectedBodiesReceived("content");
        bounce.expectedBodiesReceived("content");
        template.sendBody("direct:deliver-remote", "content");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void freshMailAndRetriesBothComeThroughTheQueuesToTheAttempt() throws Exception {
        attempt.next = outcome(false, true, false, false);
        expect(0, 2, 0, 0, 0);
        template.sendBody("jms:queue:caravan.relay", "fresh");
        template.sendBody("jms:queue:caravan.deferred", "retried");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(attempt.attempts.get()).isEqualTo(2);
    }

    @Test
    void aMessageTheRouterKeepsDyingOnGoesToTheDeadLettersWithoutAnAttempt() throws Exception {
        attempt.next = outcome(true, false, false, false);
        expect(0, 0, 0, 0, 1);
        template.sendBodyAndHeaders("jms:queue:caravan.relay", "deadly", Map.of("JMSXDeliveryCount", 6));
        MockEndpoint.assertIsSatisfied(context);
        assertThat(attempt.attempts.get()).isEqualTo(0);
    }
}
