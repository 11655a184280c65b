import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { assertSafeName, NAME_PATTERN, NAME_RULE } from '../policy/names.js';

/** A path site name outside the safe set cannot exist: 400 naming the rule, rather than a lookup. */
class SafeSiteNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    return assertSafeName('site name', value);
  }
}

/** `@SiteNameParam() site: string` for `:site` routes. */
export const SiteNameParam = () => Param('site', new SafeSiteNamePipe());

/** Documents the `:site` path parameter. */
export const ApiSiteNameParam = () =>
  ApiParam({ name: 'site', description: NAME_RULE, example: 'dock', schema: { type: 'string', pattern: NAME_PATTERN.source } });
