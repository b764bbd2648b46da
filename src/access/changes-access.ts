import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { concatMap, type Observable } from 'rxjs';
import { AccessFeed } from './access-feed';

const CHANGES_ACCESS = 'access:changes';

/**
 * Marks a route whose success can change a door decision (a card's state, an address,
 * a door, a grant). Its answer waits until this instance's door index has the change,
 * so a door checked right after the answer already decides by it.
 */
export const ChangesAccess = () => SetMetadata(CHANGES_ACCESS, true);

@Injectable()
export class AccessFenceInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly feed: AccessFeed,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(CHANGES_ACCESS, context.getHandler())) return next.handle();
    return next.handle().pipe(
      concatMap(async (value: unknown) => {
        await this.feed.fence();
        return value;
      }),
    );
  }
}
