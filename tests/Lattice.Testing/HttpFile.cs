using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lattice.Testing;

/// <summary>One request of a <c>.http</c> file, with the status its <c># expect: NNN</c> comment names, if any.</summary>
public sealed record HttpFileRequest(HttpRequestMessage Request, int? ExpectedStatus);

/// <summary>
/// Reads the subset of the <c>.http</c> format the services' files use: <c>@name = value</c> variables (<c>host</c> is
/// always the given address), <c>###</c> between requests, a request line, headers, a body, and <c># expect: NNN</c>
/// before the request line for an answer other than 2xx. Comment lines (<c>#</c>) never reach the body.
/// </summary>
public static partial class HttpFile
{
    public static List<HttpFileRequest> Parse(string text, string host)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var requests = new List<HttpFileRequest>();
        foreach (var block in text.Split("###"))
        {
            var lines = block.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            foreach (var line in lines.Where(l => l.StartsWith('@')))
            {
                var parts = line[1..].Split('=', 2);
                variables[parts[0].Trim()] = parts[1].Trim();
            }

            variables["host"] = host;
            var start = lines.FindIndex(l => RequestLine().IsMatch(l));
            if (start < 0)
            {
                continue;
            }

            string Expand(string value) => Variable().Replace(value, m => variables[m.Groups[1].Value]);
            var expect = lines.Take(start).Select(l => Expect().Match(l)).FirstOrDefault(m => m.Success);
            var requestLine = lines[start].Split(' ', 2);
            var request = new HttpRequestMessage(new HttpMethod(requestLine[0]), Expand(requestLine[1].Trim()));
            var index = start + 1;
            var contentType = "application/json";
            for (; index < lines.Count && lines[index].Length > 0; index++)
            {
                var header = lines[index].Split(':', 2);
                var (name, value) = (header[0].Trim(), Expand(header[1].Trim()));
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = value;
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            var body = string.Join('\n', lines.Skip(index + 1).Where(l => !l.StartsWith('#'))).Trim();
            if (body.Length > 0)
            {
                request.Content = new StringContent(Expand(body), Encoding.UTF8, contentType);
            }

            requests.Add(new HttpFileRequest(request, expect is null ? null : int.Parse(expect.Groups[1].Value, CultureInfo.InvariantCulture)));
        }

        return requests;
    }

    [GeneratedRegex(@"^(GET|POST|PUT|DELETE|PATCH) ")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"\{\{(\w+)\}\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^# expect: (\d{3})")]
    private static partial Regex Expect();
}
