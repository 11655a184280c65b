import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { assertSafeName, NAME_PATTERN, NAME_RULE } from '../policy/names.js';

/** A path username outside the safe set cannot exist: 400 naming the rule, rather than a lookup. */
class SafeUsernamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    return assertSafeName('username', value);
  }
}

/** `@UsernameParam() username: string` for `:username` routes. */
export const UsernameParam = () => Param('username', new SafeUsernamePipe());

/** Documents the `:username` path parameter. */
export const ApiUsernameParam = () =>
  ApiParam({ name: 'username', description: NAME_RULE, example: 'alice', schema: { type: 'string', pattern: NAME_PATTERN.source } });
