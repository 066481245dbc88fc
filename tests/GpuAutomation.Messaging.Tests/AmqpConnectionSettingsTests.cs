using GpuAutomation.Messaging.Amqp;

namespace GpuAutomation.Messaging.Tests;

public sealed class AmqpConnectionSettingsTests
{
    private const string Key = "c2VjcmV0LWtleS12YWx1ZQ==";

    [Fact]
    public void A_sas_connection_string_means_tls_on_5671_and_sasl_plain_with_the_policy_and_key()
    {
        var settings = AmqpConnectionSettings.Parse($"Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=agent;SharedAccessKey={Key}");

        Assert.Equal("contoso.servicebus.windows.net", settings.Host);
        Assert.Equal(5671, settings.Port);
        Assert.True(settings.UseTls);
        Assert.Equal(AmqpAuthentication.SaslPlain, settings.Authentication);
        Assert.Equal("agent", settings.UserName);
        Assert.Equal(Key, settings.Password);
        Assert.DoesNotContain(Key, settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_bus_connection_string_without_a_key_means_an_entra_id_token_when_a_credential_is_given()
    {
        var settings = AmqpConnectionSettings.Parse("Endpoint=sb://contoso.servicebus.windows.net/", hasCredential: true);

        Assert.Equal(AmqpAuthentication.EntraIdToken, settings.Authentication);
        Assert.True(settings.UseTls);
        Assert.Equal("amqps://contoso.servicebus.windows.net/gpu-reports", settings.Audience("gpu-reports"));
    }

    [Fact]
    public void A_service_bus_connection_string_without_a_key_or_credential_is_refused_as_credential_required()
    {
        var error = Assert.Throws<MessagingException>(() => AmqpConnectionSettings.Parse("Endpoint=sb://contoso.servicebus.windows.net/"));
        Assert.Equal(MessagingErrors.CredentialRequired, error.Code);
        Assert.Contains("contoso.servicebus.windows.net", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_amqp_url_gives_user_password_and_port_for_rabbitmq()
    {
        var settings = AmqpConnectionSettings.Parse("amqp://guest:p%40ss@127.0.0.1:5673");

        Assert.Equal(("127.0.0.1", 5673, false, AmqpAuthentication.SaslPlain, "guest", "p@ss"),
            (settings.Host, settings.Port, settings.UseTls, settings.Authentication, settings.UserName, settings.Password));
        Assert.Equal(AmqpAuthentication.Anonymous, AmqpConnectionSettings.Parse("amqp://localhost").Authentication);
        Assert.Equal(5671, AmqpConnectionSettings.Parse("amqps://broker.example").Port);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Endpoint=https://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=" + Key, "not an sb:// address")]
    [InlineData("SharedAccessKeyName=a;SharedAccessKey=" + Key, "no Endpoint")]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKey=" + Key, "no SharedAccessKeyName")]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a", "no SharedAccessKey")]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=" + Key + ";EntityPath=q", "EntityPath")]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;" + Key, "Name=Value")]
    [InlineData("amqp://guest@127.0.0.1:5672", "no password")]
    public void A_bad_connection_string_says_what_is_wrong_and_never_echoes_the_key(string connectionString, string expected)
    {
        var error = Assert.Throws<MessagingException>(() => AmqpConnectionSettings.Parse(connectionString));

        Assert.Equal(MessagingErrors.InvalidConnectionString, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }
}
