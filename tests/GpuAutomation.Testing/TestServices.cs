namespace GpuAutomation.Testing;

/// <summary>
/// Endpoints of the real services the test script starts (Azurite, RabbitMQ). A test that needs one and runs
/// without the script fails with the command to run; it never skips.
/// </summary>
public static class TestServices
{
    public const string TestCommand = "bash scripts/test.sh";

    /// <summary>Azure.Data.Tables connection string of the Azurite table endpoint.</summary>
    public static string AzuriteTablesConnectionString => Required("GPUAUTO_TEST_AZURITE_TABLES", "Azurite");

    /// <summary><c>amqp://guest:guest@127.0.0.1:port</c> of the RabbitMQ broker with its AMQP 1.0 plugin.</summary>
    public static Uri AmqpAddress => new(Required("GPUAUTO_TEST_AMQP", "RabbitMQ"));

    /// <summary>The queue RabbitMQ dead-letters every gpu-* queue into (its policy is set by the script).</summary>
    public static string AmqpDeadLetterQueue => Required("GPUAUTO_TEST_AMQP_DEAD_LETTER_QUEUE", "RabbitMQ");

    /// <summary>A rabbitmqctl wrapper bound to the test broker, for tests that stop and start it.</summary>
    public static string RabbitMqCtl => Required("GPUAUTO_TEST_RABBITMQCTL", "RabbitMQ");

    private static string Required(string variable, string service)
        => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{service} is not running for this test: {variable} is not set. Run the tests with `{TestCommand}` "
                + "from the repository root; it installs and starts Azurite and RabbitMQ on 127.0.0.1 and sets it.");
}
