package org.caravan.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Each address form, into the gateway's addressing and back. */
class AddressRulesTest {
    private static AddressRules rules(String... forms) {
        return new AddressRules(java.util.Arrays.stream(forms).map(AddressRules::named).toList());
    }

    @Test
    void percentIsSourceRoutingWithTheRightmostPercentAsTheNextHop() {
        AddressRules percent = rules("percent");
        assertThat(percent.toGateway("john%vaxa@decnet.example")).isEqualTo("john@vaxa");
        assertThat(percent.toGateway("john%vaxb%vaxa@decnet.example")).isEqualTo("john%vaxb@vaxa");
        assertThat(percent.toGateway("plain@decnet.example")).as("not of the form").isEqualTo("plain@decnet.example");
        assertThat(percent.toGateway("%vaxa@decnet.example")).isEqualTo("%vaxa@decnet.example");

        assertThat(percent.fromGateway("john@vaxa", "decnet.example")).isEqualTo("john%vaxa@decnet.example");
        assertThat(percent.fromGateway("bob@example.org", "decnet.example"))
                .as("an Internet address is not a host behind the gateway").isEqualTo("bob@example.org");
        // both ways round
        assertThat(percent.toGateway(percent.fromGateway("mary@vaxc", "decnet.example"))).isEqualTo("mary@vaxc");
    }

    @Test
    void bangPathsAreUucpAddresses() {
        AddressRules bang = rules("bang");
        assertThat(bang.toGateway("host!user@uucp.example")).isEqualTo("host!user");
        assertThat(bang.toGateway("a!b!user@uucp.example")).isEqualTo("a!b!user");
        assertThat(bang.toGateway("user@uucp.example")).isEqualTo("user@uucp.example");

        assertThat(bang.fromGateway("host!user", "uucp.example")).isEqualTo("host!user@uucp.example");
        assertThat(bang.fromGateway("user", "uucp.example")).isEqualTo("user");
        assertThat(bang.fromGateway("bob@example.org", "uucp.example")).isEqualTo("bob@example.org");
        assertThat(Addresses.isValidMailbox(bang.fromGateway("seismo!ihnp4!joe", "uucp.example"))).isTrue();
    }

    @Test
    void x400AttributeAddressesInTheStdOrLocalPart() {
        AddressRules x400 = rules("x400");
        assertThat(x400.toGateway("/G=John/S=Smith/O=Org/@x400.example")).isEqualTo("G=John;S=Smith;O=Org");
        assertThat(x400.toGateway("/g=Ann/s=Lee/ou1=Sales/o=Org/c=DE/@x400.example")).isEqualTo("G=Ann;S=Lee;OU1=Sales;O=Org;C=DE");
        assertThat(x400.toGateway("/G=John/O=Org/@x400.example")).as("no surname, no common name").isEqualTo("/G=John/O=Org/@x400.example");
        assertThat(x400.toGateway("/X=1/S=Smith/@x400.example")).as("unknown attribute").isEqualTo("/X=1/S=Smith/@x400.example");
        assertThat(x400.toGateway("john@x400.example")).isEqualTo("john@x400.example");

        assertThat(x400.fromGateway("G=John;S=Smith;O=Org", "x400.example")).isEqualTo("/G=John/S=Smith/O=Org/@x400.example");
        assertThat(x400.fromGateway("/G=John/S=Smith/O=Org/", "x400.example")).isEqualTo("/G=John/S=Smith/O=Org/@x400.example");
        assertThat(x400.fromGateway("bob@example.org", "x400.example")).isEqualTo("bob@example.org");
        String internet = x400.fromGateway("G=John;S=Smith;O=Org", "x400.example");
        assertThat(Addresses.isValidMailbox(internet)).isTrue();
        assertThat(x400.toGateway(internet)).isEqualTo("G=John;S=Smith;O=Org");
    }

    @Test
    void aRegularExpressionPairTranslatesWhatTheOperatorDescribes() {
        AddressRules regex = new AddressRules(List.of(AddressRules.Regex.of(
                "^([a-z]+)\\.([a-z]+)@notes\\.example$", "$1 $2/ACME",
                "^([A-Za-z]+) ([A-Za-z]+)/ACME$", "$1.$2@notes.example")));
        assertThat(regex.toGateway("jane.doe@notes.example")).isEqualTo("jane doe/ACME");
        assertThat(regex.toGateway("other@example.org")).isEqualTo("other@example.org");
        assertThat(regex.fromGateway("jane doe/ACME", "notes.example")).isEqualTo("jane.doe@notes.example");
        assertThatThrownBy(() -> AddressRules.Regex.of("(", "x", "y", "z")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad regular expression");
    }

    @Test
    void rulesAreTriedInOrderAndTheFirstThatTakesTheAddressWins() {
        AddressRules both = rules("bang", "percent");
        assertThat(both.toGateway("a!b%c@gw.example")).as("a bang path has no '%': percent takes it").isEqualTo("a!b@c");
        assertThat(both.toGateway("a!b@gw.example")).isEqualTo("a!b");
        AddressRules catchAll = new AddressRules(List.of(AddressRules.Regex.of("^(.*)@gw\\.example$", "ALL:$1", "^ALL:(.*)$",
                "$1@gw.example"), AddressRules.named("bang")));
        assertThat(catchAll.toGateway("a!b@gw.example")).as("the first rule wins").isEqualTo("ALL:a!b");
        assertThat(AddressRules.NONE.toGateway("x!y@gw.example")).isEqualTo("x!y@gw.example");
        assertThatThrownBy(() -> AddressRules.named("ccmail")).hasMessageContaining("not percent, bang or x400");
    }
}
