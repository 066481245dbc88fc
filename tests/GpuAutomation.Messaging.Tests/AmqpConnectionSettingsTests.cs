using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.ServiceBus;

namespace GpuAutomation.Messaging.Tests;

public sealed class AmqpConnectionSettingsTests
{
    private const string Key = "c2VjcmV0LWtleS12YWx1ZQ==";

    [Fact]
    public void An_amqp_url_gives_user_password_and_port_for_rabbitmq()
    {
        var settings = AmqpConnectionSettings.Parse("amqp://guest:p%40ss@127.0.0.1:5673");

        Assert.Equal(("127.0.0.1", 5673, false, AmqpAuthentication.SaslPlain, "guest", "p@ss"),
            (settings.Host, settings.Port, settings.UseTls, settings.Authentication, settings.UserName, settings.Password));
        Assert.Equal(AmqpAuthentication.Anonymous, AmqpConnectionSettings.Parse("amqp://localhost").Authentication);
        Assert.Equal(5671, AmqpConnectionSettings.Parse("amqps://broker.example").Port);
        Assert.DoesNotContain("p@ss", settings.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=agent;SharedAccessKey=" + Key)]
    [InlineData("Endpoint=sb://contoso.servicebus.windows.net/")]
    [InlineData("Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=agent;SharedAccessKey=" + Key + ";UseDevelopmentEmulator=true")]
    [InlineData("contoso.servicebus.windows.net")]
    [InlineData("amqps://agent:" + Key + "@contoso.servicebus.windows.net")]
    public void A_service_bus_setting_is_refused_by_the_amqp_adapter_with_its_own_code(string setting)
    {
        var parse = Assert.Throws<MessagingException>(() => AmqpConnectionSettings.Parse(setting));
        var create = Assert.Throws<MessagingException>(() => AmqpMessageBus.Create(setting));

        Assert.All([parse, create], error =>
        {
            Assert.Equal(MessagingErrors.ServiceBusNeedsSdkAdapter, error.Code);
            Assert.Contains("MessageBusFactory", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_factory_sends_service_bus_settings_to_the_sdk_adapter_and_amqp_urls_to_the_amqp_adapter()
    {
        var sas = MessageBusFactory.Create($"Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=agent;SharedAccessKey={Key}");
        var amqp = MessageBusFactory.Create("amqp://guest:guest@127.0.0.1:5672");

        Assert.IsType<ServiceBusMessageBus>(sas);
        Assert.IsType<AmqpMessageBus>(amqp);
        Assert.Equal("contoso.servicebus.windows.net", ((ServiceBusMessageBus)sas).Endpoint);
    }

    [Fact]
    public void A_service_bus_connection_string_without_a_key_or_credential_is_refused_as_credential_required()
    {
        var error = Assert.Throws<MessagingException>(() => MessageBusFactory.Create("Endpoint=sb://contoso.servicebus.windows.net/"));
        Assert.Equal(MessagingErrors.CredentialRequired, error.Code);
        Assert.Contains("contoso.servicebus.windows.net", error.Message, StringComparison.Ordinal);
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
        var error = Assert.Throws<MessagingException>(() => MessageBusFactory.Validate(connectionString, hasCredential: false));

        Assert.Equal(MessagingErrors.InvalidConnectionString, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }
}
